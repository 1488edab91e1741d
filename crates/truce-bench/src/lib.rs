//! Seeded generators of realistic input for benchmarks.

pub mod nessus;
pub mod plan;
pub mod rng;

/// `TRUCE_LOG=truce=debug target/release/bench-...`: the core's steps and their times on stderr
/// (the planner's load, the regroup's steps, each import), as `truce --verbose` shows them.
pub fn init_logging() {
    if let Ok(filter) = std::env::var("TRUCE_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .init();
    }
}

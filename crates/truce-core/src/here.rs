//! What this laptop says: its clock and its user. Read only where a caller (the app, the CLI)
//! opens a workspace ([`crate::workspace::OpenOptions::here`]); every other part of the core gets
//! time and actor from the workspace's context (`changes::Ctx`). A test over the sources keeps
//! reads of the system clock and the OS user in this file and in `clock.rs`.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::clock::{Clock, SystemClock};

/// The environment variable that moves "now" to a fixed day, for demos and tests of the app
/// (RFC 3339 or a date).
pub const NOW_ENV: &str = "TRUCE_NOW";

/// The clock of this process: the system's, or one that starts at `$TRUCE_NOW` and runs on from
/// there (so two writes a moment apart still come in order).
pub fn clock() -> Arc<dyn Clock> {
    match std::env::var(NOW_ENV)
        .ok()
        .and_then(|s| crate::calendar::parse_instant(&s).ok())
    {
        Some(start) => Arc::new(Shifted {
            start,
            since: Instant::now(),
        }),
        None => Arc::new(SystemClock),
    }
}

/// A clock that started at `start` when the process did.
struct Shifted {
    start: DateTime<Utc>,
    since: Instant,
}

impl Clock for Shifted {
    fn now(&self) -> DateTime<Utc> {
        let run = chrono::Duration::from_std(self.since.elapsed()).unwrap_or_default();
        self.start + run
    }
}

/// The OS user, which is who did it as far as a laptop knows (until someone signs in).
pub fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into())
}

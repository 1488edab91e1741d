//! Seeded generators of realistic input for benchmarks.

pub mod nessus;
pub mod plan;
pub mod rng;

//! Seeded generators of realistic input for benchmarks.

pub mod nessus;
pub mod rng;

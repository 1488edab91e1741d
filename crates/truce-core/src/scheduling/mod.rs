//! Putting work items on change-window occurrences. The rules and the auto-planner are the
//! `truce-rules` crate (pure: no SQL, no clock, no I/O); this module reads their inputs from the
//! workspace (`load`) and carries their answers out (`actions`).

pub mod actions;
pub mod load;

pub use truce_rules::*;

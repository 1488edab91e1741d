//! What laptops and the team hub exchange: the operation (one recorded change of one field, or
//! a row created or deleted whole, named by the device that made it and that device's hybrid
//! logical clock), its checks, and the answers of a push and a pull. Plain values with serde:
//! the laptop's side (the core, `truce-net`) and the hub's side (`truce-hub`) share this and
//! nothing else. **Never depends on** SQLite, PostgreSQL, the network or a UI.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One operation, as the laptop's change log recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    pub device: String,
    /// The device's hybrid logical clock: milliseconds << 16 | a counter; never repeats on it.
    pub hlc: i64,
    pub actor: String,
    pub entity: String,
    pub entity_id: String,
    pub field: String,
    #[serde(default)]
    pub old_value: Value,
    #[serde(default)]
    pub new_value: Value,
    /// When it was made, as the laptop's clock said (RFC 3339, UTC).
    pub at: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// An operation as the hub hands it out: with its place in the hub's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stored {
    pub seq: i64,
    #[serde(flatten)]
    pub op: Op,
}

/// What a push did: how many operations were new, how many the hub already had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pushed {
    pub accepted: u64,
    pub duplicates: u64,
}

/// What a pull answers: the operations after the cursor, and the cursor to ask from next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulled {
    pub ops: Vec<Stored>,
    pub next: i64,
}

/// At most this many operations in one push; a laptop sends more in several.
pub const MAX_BATCH: usize = 10_000;
/// At most this many operations in one pull's answer.
pub const MAX_PULL: i64 = 10_000;

/// The longest text each field may hold, in bytes: a value past it is a client's mistake or an
/// attack, refused before anything is stored.
const LIMITS: &[(&str, usize)] = &[
    ("device", 64),
    ("actor", 256),
    ("entity", 64),
    ("entity_id", 1_024),
    ("field", 64),
    ("at", 40),
    ("reason", 4_096),
];

/// A value (old or new) past this many bytes of JSON is refused: a finding's evidence is kept
/// apart, so no recorded field comes near it.
const MAX_VALUE: usize = 1 << 20;

/// Why a batch was refused: the operation, the field and the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub index: usize,
    pub field: &'static str,
    pub problem: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ops[{}].{}: {}", self.index, self.field, self.problem)
    }
}

/// Checks every operation of a batch; the first problem refuses the whole batch.
pub fn check(ops: &[Op]) -> Result<(), Refused> {
    for (index, op) in ops.iter().enumerate() {
        let refuse = |field: &'static str, problem: String| Refused {
            index,
            field,
            problem,
        };
        let texts: [(&'static str, &str); 7] = [
            ("device", &op.device),
            ("actor", &op.actor),
            ("entity", &op.entity),
            ("entity_id", &op.entity_id),
            ("field", &op.field),
            ("at", &op.at),
            ("reason", op.reason.as_deref().unwrap_or("")),
        ];
        for (name, value) in texts {
            let limit = LIMITS.iter().find(|(n, _)| *n == name).map_or(0, |l| l.1);
            if value.len() > limit {
                return Err(refuse(
                    name,
                    format!("{} bytes, more than the {limit} allowed", value.len()),
                ));
            }
            if value.trim().is_empty() && name != "reason" {
                return Err(refuse(name, "empty".into()));
            }
        }
        if op.hlc <= 0 {
            return Err(refuse("hlc", format!("{} is not a clock value", op.hlc)));
        }
        for (name, value) in [("old_value", &op.old_value), ("new_value", &op.new_value)] {
            let size = value.to_string().len();
            if size > MAX_VALUE {
                return Err(refuse(
                    name,
                    format!("{size} bytes of JSON, more than the {MAX_VALUE} allowed"),
                ));
            }
        }
    }
    Ok(())
}

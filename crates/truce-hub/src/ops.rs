//! An operation as it travels between a laptop and the hub: one recorded change of one field
//! (or a row created or deleted whole), named by the device that made it and that device's
//! hybrid logical clock. The hub checks each before it stores any, stores a batch in one
//! transaction, and hands them out in the order they arrived.

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

/// Stores `ops` for `workspace` in one transaction. Operations the hub already has are skipped,
/// so a batch delivered twice, or retried after a cut connection, changes nothing.
pub async fn push(pool: &crate::Pool, workspace: &str, ops: &[Op]) -> Result<Pushed, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // Numbers are given and committed in the same order for a workspace, across hub processes:
    // a laptop that pulled up to N never misses an operation numbered below N later.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&workspace],
    )
    .await?;
    let column = |f: fn(&Op) -> String| ops.iter().map(f).collect::<Vec<String>>();
    let devices = column(|o| o.device.clone());
    let hlcs: Vec<i64> = ops.iter().map(|o| o.hlc).collect();
    let actors = column(|o| o.actor.clone());
    let entities = column(|o| o.entity.clone());
    let entity_ids = column(|o| o.entity_id.clone());
    let fields = column(|o| o.field.clone());
    let olds: Vec<Value> = ops.iter().map(|o| o.old_value.clone()).collect();
    let news: Vec<Value> = ops.iter().map(|o| o.new_value.clone()).collect();
    let ats = column(|o| o.at.clone());
    let reasons: Vec<Option<String>> = ops.iter().map(|o| o.reason.clone()).collect();
    // WITH ORDINALITY keeps the batch's order in the numbering.
    let accepted = tx
        .execute(
            "INSERT INTO ops (workspace_id, device, hlc, actor, entity, entity_id, field, old_value, new_value, at, reason)
             SELECT $1, d, h, a, e, i, f, o, n, t, r
             FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
                         $8::jsonb[], $9::jsonb[], $10::text[], $11::text[])
                  WITH ORDINALITY AS b(d, h, a, e, i, f, o, n, t, r, k)
             ORDER BY k
             ON CONFLICT (workspace_id, device, hlc) DO NOTHING",
            &[
                &workspace,
                &devices,
                &hlcs,
                &actors,
                &entities,
                &entity_ids,
                &fields,
                &olds,
                &news,
                &ats,
                &reasons,
            ],
        )
        .await?;
    tx.commit().await?;
    Ok(Pushed {
        accepted,
        duplicates: ops.len() as u64 - accepted,
    })
}

/// The operations of `workspace` numbered after `after`, at most `limit`, in the hub's order.
pub async fn pull(
    pool: &crate::Pool,
    workspace: &str,
    after: i64,
    limit: i64,
) -> Result<Pulled, StoreError> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT seq, device, hlc, actor, entity, entity_id, field, old_value, new_value, at, reason
             FROM ops WHERE workspace_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&workspace, &after, &limit.clamp(1, MAX_PULL)],
        )
        .await?;
    let ops: Vec<Stored> = rows
        .iter()
        .map(|r| Stored {
            seq: r.get(0),
            op: Op {
                device: r.get(1),
                hlc: r.get(2),
                actor: r.get(3),
                entity: r.get(4),
                entity_id: r.get(5),
                field: r.get(6),
                old_value: r.get::<_, Option<Value>>(7).unwrap_or(Value::Null),
                new_value: r.get::<_, Option<Value>>(8).unwrap_or(Value::Null),
                at: r.get(9),
                reason: r.get(10),
            },
        })
        .collect();
    let next = ops.last().map_or(after, |o| o.seq);
    Ok(Pulled { ops, next })
}

/// The database failed (or no connection could be had): said in its own words, for the log
/// and for a 503 answer.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the hub's database: {}", self.0)
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError(e.to_string())
    }
}

//! Storing and reading the operations (`truce_sync::Op`, checked before they come here): a batch
//! in one transaction, handed out in the order they committed.

use serde_json::Value;

pub use truce_sync::{check, Op, Pulled, Pushed, Refused, Stored, MAX_BATCH, MAX_PULL};

/// Stores `ops` for `workspace` in one transaction. Operations the hub already has are skipped,
/// so a batch delivered twice, or retried after a cut connection, changes nothing. Checked first,
/// under the workspace's lock, that no decision in it is its asker's own (`authorize`): a refusal
/// (the inner error) stores nothing and says which operation and why.
pub async fn push(
    pool: &crate::Pool,
    workspace: &str,
    ops: &[Op],
) -> Result<Result<Pushed, String>, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // Numbers are given and committed in the same order for a workspace, across hub processes:
    // a laptop that pulled up to N never misses an operation numbered below N later.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&workspace],
    )
    .await?;
    if let Err(refused) = crate::authorize::not_their_own(&tx, workspace, ops).await? {
        return Ok(Err(refused));
    }
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
    Ok(Ok(Pushed {
        accepted,
        duplicates: ops.len() as u64 - accepted,
    }))
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

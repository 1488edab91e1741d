//! What a role may change, checked by the hub for every operation it is given, whatever the
//! laptop's own screens allowed: a laptop with a modified build gets no further than an honest
//! one. Viewers change nothing (`server`); the decisions below need their roles, and nobody
//! decides their own request: the hub finds who asked in the operations it already holds (or
//! earlier in the same batch), under the push's lock, so a request and its decision racing in
//! from two laptops are checked in the order they are stored.

use serde_json::Value;
use tokio_postgres::Transaction;
use truce_sync::Op;

/// A decision one role makes and another must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Accepting or refusing a risk exception (an exception's state, or who approved it).
    Exception,
    /// The CAB's approval of a work item on its occurrence.
    ItemApproval,
}

impl Decision {
    fn roles(self) -> &'static [&'static str] {
        match self {
            Decision::Exception => &["security", "cab", "admin"],
            Decision::ItemApproval => &["cab", "admin"],
        }
    }

    fn words(self) -> &'static str {
        match self {
            Decision::Exception => "decide a risk exception",
            Decision::ItemApproval => "approve a change (a CAB decision)",
        }
    }
}

/// The decision an operation makes, if any.
pub fn decision(op: &Op) -> Option<Decision> {
    let new = op.new_value.as_str();
    match (op.entity.as_str(), op.field.as_str()) {
        ("exception", "state") if matches!(new, Some("approved" | "rejected")) => {
            Some(Decision::Exception)
        }
        ("exception", "approved_by") if !op.new_value.is_null() => Some(Decision::Exception),
        ("work_item", "state") if new == Some("approved") => Some(Decision::ItemApproval),
        _ => None,
    }
}

/// The first operation of `ops` that `role` may not make, worded for the person.
pub fn by_role(role: &str, ops: &[Op]) -> Result<(), String> {
    for (i, op) in ops.iter().enumerate() {
        if let Some(d) = decision(op) {
            if !d.roles().contains(&role) {
                return Err(format!(
                    "ops[{i}]: a device of the {role} role may not {} ({} may)",
                    d.words(),
                    d.roles().join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// The first decision of `ops` made by the person who asked for it.
pub async fn not_their_own(
    tx: &Transaction<'_>,
    workspace: &str,
    ops: &[Op],
) -> Result<Result<(), String>, tokio_postgres::Error> {
    for (i, op) in ops.iter().enumerate() {
        let Some(d) = decision(op) else { continue };
        let asked = |o: &Op| {
            o.entity == op.entity
                && o.entity_id == op.entity_id
                && match d {
                    Decision::Exception => o.field == "created",
                    Decision::ItemApproval => {
                        o.field == "state"
                            && matches!(o.new_value.as_str(), Some("proposed" | "scheduled"))
                    }
                }
        };
        // The latest request: earlier in this batch, else stored.
        let in_batch = ops[..i]
            .iter()
            .rev()
            .find(|o| asked(o))
            .map(|o| o.actor.clone());
        let asker = match in_batch {
            Some(a) => Some(a),
            None => {
                let states: Vec<Value> = match d {
                    Decision::Exception => vec![],
                    Decision::ItemApproval => {
                        vec![Value::from("proposed"), Value::from("scheduled")]
                    }
                };
                tx.query_opt(
                    "SELECT actor FROM ops
                     WHERE workspace_id = $1 AND entity = $2 AND entity_id = $3
                       AND (($4 AND field = 'created') OR (NOT $4 AND field = 'state' AND new_value = ANY($5)))
                     ORDER BY seq DESC LIMIT 1",
                    &[
                        &workspace,
                        &op.entity,
                        &op.entity_id,
                        &(d == Decision::Exception),
                        &states,
                    ],
                )
                .await?
                .map(|r| r.get::<_, String>(0))
            }
        };
        if asker.as_deref() == Some(op.actor.as_str()) {
            return Ok(Err(format!(
                "ops[{i}]: '{}' asked for this and may not {} of their own",
                op.actor,
                d.words()
            )));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(entity: &str, field: &str, new: Value) -> Op {
        Op {
            device: "d".into(),
            hlc: 1,
            actor: "p".into(),
            entity: entity.into(),
            entity_id: "x".into(),
            field: field.into(),
            old_value: Value::Null,
            new_value: new,
            at: "2026-12-05T00:00:00.000Z".into(),
            reason: None,
        }
    }

    #[test]
    fn decisions_are_known_by_what_they_set() {
        assert_eq!(
            decision(&op("exception", "state", json!("approved"))),
            Some(Decision::Exception)
        );
        assert_eq!(
            decision(&op("exception", "state", json!("rejected"))),
            Some(Decision::Exception)
        );
        assert_eq!(decision(&op("exception", "state", json!("expired"))), None);
        assert_eq!(
            decision(&op("work_item", "state", json!("approved"))),
            Some(Decision::ItemApproval)
        );
        assert_eq!(
            decision(&op("work_item", "state", json!("scheduled"))),
            None
        );
        assert_eq!(decision(&op("work_item", "title", json!("approved"))), None);
    }

    #[test]
    fn only_the_roles_of_a_decision_make_it() {
        let approve = [op("work_item", "state", json!("approved"))];
        assert!(by_role("cab", &approve).is_ok());
        assert!(by_role("admin", &approve).is_ok());
        let refused = by_role("ops", &approve).unwrap_err();
        assert_eq!(
            refused,
            "ops[0]: a device of the ops role may not approve a change (a CAB decision) (cab, admin may)"
        );
        assert!(by_role("security", &approve).is_err());
        let decide = [op("exception", "state", json!("approved"))];
        assert!(by_role("security", &decide).is_ok());
        assert!(by_role("ops", &decide).is_err());
    }
}

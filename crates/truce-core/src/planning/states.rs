//! The work item state machine, placement on an occurrence, and owners. Every change is one
//! change-log row per field, with actor, time and reason.
//!
//! backlog -> proposed -> scheduled -> approved -> in_progress -> done -> verified, with
//! failed / rolled_back / deferred paths (see [`allowed`]). Scheduling needs a placement
//! ([`schedule`]); approving needs a person who is neither the ops owner nor whoever proposed or
//! scheduled it; verified needs every finding fixed (a rescan, see [`verify_done_items`]).

use rusqlite::{params, Connection, OptionalExtension};

use super::types::ItemState;
use super::ItemState::*;
use crate::error::{Error, Result};
use crate::Workspace;

/// The states `from` may move to by a person's decision.
pub fn allowed(from: ItemState) -> &'static [ItemState] {
    match from {
        Backlog => &[Proposed, Deferred],
        Proposed => &[Scheduled, Backlog, Deferred],
        Scheduled => &[Approved, Proposed, Backlog, Deferred],
        Approved => &[InProgress, Scheduled, Deferred],
        InProgress => &[Done, Failed, RolledBack],
        Done => &[Verified, Failed],
        Verified => &[],
        Failed => &[Backlog, Proposed, Scheduled],
        RolledBack => &[Backlog, Proposed, Scheduled],
        Deferred => &[Backlog, Proposed],
    }
}

/// A note on an item's history for what changed no column of it (a split, a merge); column
/// changes record themselves.
pub(super) fn note(
    conn: &Connection,
    item: &str,
    field: &str,
    value: &str,
    reason: &str,
) -> Result<()> {
    crate::changes::note(conn, "work_item", item, field, Some(value), Some(reason))
}

struct Item {
    state: ItemState,
    ops: Option<String>,
    window: Option<String>,
}

fn load(conn: &Connection, id: &str) -> Result<Item> {
    conn.query_row(
        "SELECT state, ops_owner_id, window_id FROM work_items WHERE id = ?1",
        [id],
        |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()?
    .map(|(s, ops, window)| Item {
        state: ItemState::parse(&s).unwrap_or(Backlog),
        ops,
        window,
    })
    .ok_or_else(|| Error::Invalid(format!("no work item '{id}'")))
}

fn need_reason(reason: &str) -> Result<()> {
    if reason.trim().is_empty() {
        return Err(Error::Invalid("say why: a reason is required".into()));
    }
    Ok(())
}

/// Moves `item` to `to`, by `actor` (a person's id, email or name, or any name for the log).
pub fn transition(
    ws: &mut Workspace,
    item: &str,
    to: ItemState,
    actor: &str,
    reason: &str,
) -> Result<()> {
    need_reason(reason)?;
    let tx = ws.write_tx()?;
    let at = crate::changes::now(&tx)?;
    transition_tx(&tx, item, to, actor, reason, &at)?;
    tx.commit()?;
    Ok(())
}

pub(crate) fn transition_tx(
    conn: &Connection,
    item: &str,
    to: ItemState,
    actor: &str,
    reason: &str,
    at: &str,
) -> Result<()> {
    crate::changes::because(conn, reason)?;
    crate::changes::acting(conn, actor)?;
    let it = load(conn, item)?;
    if !allowed(it.state).contains(&to) {
        return Err(Error::Invalid(format!(
            "a {} item cannot become {} (allowed: {})",
            it.state.as_str(),
            to.as_str(),
            allowed(it.state)
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    match to {
        Scheduled if it.window.is_none() => {
            return Err(Error::Invalid(
                "schedule the item on an occurrence first (`schedule`)".into(),
            ))
        }
        Approved => check_approver(conn, item, &it, actor)?,
        Verified => {
            let open: i64 = conn.query_row(
                "SELECT count(*) FROM work_item_findings w JOIN findings f ON f.id = w.finding_id
                 WHERE w.work_item_id = ?1 AND f.status NOT IN ('fixed','false_positive')",
                [item],
                |r| r.get(0),
            )?;
            if open > 0 {
                return Err(Error::Invalid(format!(
                    "{open} findings are not fixed yet: a rescan must confirm the fix"
                )));
            }
        }
        _ => {}
    }
    conn.execute(
        "UPDATE work_items SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![item, to.as_str(), at],
    )?;
    if matches!(to, Backlog | Proposed | Deferred) && it.window.is_some() {
        clear_placement(conn, item, actor, at, reason)?;
    }
    if matches!(to, Done) {
        conn.execute(
            "UPDATE commitments SET state = 'kept' WHERE work_item_id = ?1 AND state = 'open'",
            [item],
        )?;
    }
    Ok(())
}

/// Nobody approves their own request: not the ops owner, nor who proposed or scheduled it.
fn check_approver(conn: &Connection, item: &str, it: &Item, actor: &str) -> Result<()> {
    let Some((pid, name)) = super::acting_person(conn, actor)? else {
        return Err(Error::Invalid(format!(
            "'{actor}' is not a person of this workspace: only a person can approve (sign in as one first)"
        )));
    };
    let approver: Option<String> = conn.query_row(
        "SELECT approver_id FROM work_items WHERE id = ?1",
        [item],
        |r| r.get(0),
    )?;
    if approver.as_ref().is_some_and(|a| *a != pid) {
        return Err(Error::Invalid(format!(
            "{name} is not this item's approver"
        )));
    }
    let requesters: Vec<String> = conn
        .prepare(&format!("SELECT actor FROM change_log WHERE entity = 'work_item' AND entity_id = ?1 AND field = 'state' AND new_value IN ('proposed','scheduled') AND {}", crate::changes::HISTORY_SQL))?
        .query_map([item], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let own = it.ops.as_deref() == Some(pid.as_str())
        || requesters
            .iter()
            .any(|r| r == &pid || r.eq_ignore_ascii_case(&name));
    if own {
        return Err(Error::Invalid(format!(
            "{name} requested this change and cannot approve it: nobody approves their own request"
        )));
    }
    Ok(())
}

fn clear_placement(
    conn: &Connection,
    item: &str,
    actor: &str,
    at: &str,
    reason: &str,
) -> Result<()> {
    crate::changes::because(conn, reason)?;
    crate::changes::acting(conn, actor)?;
    let (_w, _o): (Option<String>, Option<String>) = conn.query_row(
        "SELECT window_id, occurrence_start FROM work_items WHERE id = ?1",
        [item],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    conn.execute("UPDATE work_items SET window_id = NULL, occurrence_start = NULL, updated_at = ?2 WHERE id = ?1", params![item, at])?;
    // A promise for that occurrence is not silently carried along: it is withdrawn, visibly.
    super::exceptions::withdraw_commitments(conn, item, actor, at, reason)?;
    Ok(())
}

/// Places `item` on the occurrence of `window_id` starting at `occurrence_start` (UTC) and makes
/// it scheduled (from backlog, proposed, failed or rolled back; a scheduled or approved item is
/// moved, and an approved one needs approving again). The conflict checker runs before this.
pub fn schedule(
    ws: &mut Workspace,
    item: &str,
    window_id: &str,
    occurrence_start: &str,
    actor: &str,
    reason: &str,
) -> Result<()> {
    let placing = Placing {
        item,
        window_id,
        occurrence_start,
        reason,
    };
    let tx = ws.write_tx()?;
    place_all(&tx, &[placing], actor)?;
    tx.commit()?;
    Ok(())
}

/// One item onto one occurrence, with the reason its history will show.
#[derive(Debug, Clone, Copy)]
pub struct Placing<'a> {
    pub item: &'a str,
    pub window_id: &'a str,
    /// RFC 3339, any offset.
    pub occurrence_start: &'a str,
    pub reason: &'a str,
}

/// Places items inside the caller's transaction, so the checks it made in that transaction
/// hold for what is written (nobody else can write between them).
pub fn place_all(tx: &Connection, placings: &[Placing], actor: &str) -> Result<()> {
    let mut starts = Vec::with_capacity(placings.len());
    for p in placings {
        need_reason(p.reason)?;
        let start = chrono::DateTime::parse_from_rfc3339(p.occurrence_start).map_err(|e| {
            Error::Invalid(format!("occurrence start '{}': {e}", p.occurrence_start))
        })?;
        starts.push(crate::ids::utc_text(start.to_utc()));
    }
    let at = crate::changes::now(tx)?;
    for (p, start) in placings.iter().zip(&starts) {
        place(tx, p.item, p.window_id, start, actor, p.reason, &at)?;
    }
    Ok(())
}

/// Places one item (see [`schedule`]); `start` is UTC text.
fn place(
    tx: &Connection,
    item: &str,
    window_id: &str,
    start: &str,
    actor: &str,
    reason: &str,
    at: &str,
) -> Result<()> {
    crate::changes::because(tx, reason)?;
    crate::changes::acting(tx, actor)?;
    let it = load(tx, item)?;
    if !matches!(
        it.state,
        Backlog | Proposed | Scheduled | Approved | Failed | RolledBack
    ) {
        return Err(Error::Invalid(format!(
            "a {} item cannot be scheduled",
            it.state.as_str()
        )));
    }
    let exists: bool = tx.query_row(
        "SELECT count(*) FROM change_windows WHERE id = ?1 AND kind = 'maintenance'",
        [window_id],
        |r| r.get::<_, i64>(0),
    )? > 0;
    if !exists {
        return Err(Error::Invalid(format!(
            "no maintenance window '{window_id}'"
        )));
    }
    let (ow, oo): (Option<String>, Option<String>) = tx.query_row(
        "SELECT window_id, occurrence_start FROM work_items WHERE id = ?1",
        [item],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if ow.as_deref() == Some(window_id) && oo.as_deref() == Some(start) && it.state == Scheduled {
        return Ok(());
    }
    if ow.is_some() {
        super::exceptions::withdraw_commitments(tx, item, actor, at, reason)?;
    }
    if it.state == Backlog {
        // Placing an item proposes it on the way (its history shows both steps).
        tx.execute(
            "UPDATE work_items SET state = 'proposed' WHERE id = ?1",
            [item],
        )?;
    }
    // One statement for the place and the state: each statement's record costs a trigger run.
    tx.execute(
        "UPDATE work_items SET window_id = ?2, occurrence_start = ?3, updated_at = ?4, state = 'scheduled' WHERE id = ?1",
        params![item, window_id, start, at],
    )?;
    Ok(())
}

/// What an item was before a step on the board: its state and its place. Undo puts it back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct ItemSnapshot {
    pub id: String,
    pub state: ItemState,
    pub window_id: Option<String>,
    /// UTC, as the item's row keeps it.
    pub occurrence_start: Option<String>,
}

/// Puts an item back as `was` (undo, redo): its place, as a person's move makes it (a move
/// withdraws promises for the occurrence it leaves), then its state, an approval included: the
/// state it had before the step, not the one a move leaves. The caller checked the place against
/// the plan's rules in the same transaction.
pub fn restore_tx(
    tx: &Connection,
    was: &ItemSnapshot,
    actor: &str,
    reason: &str,
    at: &str,
) -> Result<()> {
    need_reason(reason)?;
    let (window, start): (Option<String>, Option<String>) = tx
        .query_row(
            "SELECT window_id, occurrence_start FROM work_items WHERE id = ?1",
            [&was.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| Error::Invalid(format!("no work item '{}'", was.id)))?;
    // Any offset or precision the caller sent, as the row keeps it.
    let was_start = match &was.occurrence_start {
        Some(s) => Some(
            crate::time::Timestamp::parse(s)
                .ok_or_else(|| Error::Invalid(format!("occurrence start '{s}' is not a time")))?
                .text(),
        ),
        None => None,
    };
    match (&was.window_id, &was_start) {
        (Some(w), Some(s)) if window.as_ref() != Some(w) || start.as_ref() != Some(s) => {
            place(tx, &was.id, w, s, actor, reason, at)?
        }
        (None, _) | (_, None) if window.is_some() => {
            take_off(tx, &was.id, actor, reason, None, at)?
        }
        _ => {}
    }
    if load(tx, &was.id)?.state != was.state {
        crate::changes::because(tx, reason)?;
        crate::changes::acting(tx, actor)?;
        tx.execute(
            "UPDATE work_items SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![was.id, was.state.as_str(), at],
        )?;
    }
    Ok(())
}

/// Takes `item` off its occurrence; a scheduled or approved item goes back to proposed.
///
/// `back_to` is the state the item returns to once off its occurrence (backlog, proposed or
/// deferred: undoing a drop puts an item back as it was); None leaves a scheduled or approved
/// item proposed, still waiting for a place.
pub fn unschedule(
    ws: &mut Workspace,
    item: &str,
    actor: &str,
    reason: &str,
    back_to: Option<ItemState>,
) -> Result<()> {
    unschedule_all(ws, &[item], actor, reason, back_to)
}

/// Takes `items` off their occurrences in one transaction: one that cannot be taken off (done,
/// not scheduled) leaves all of them where they were.
pub fn unschedule_all(
    ws: &mut Workspace,
    items: &[&str],
    actor: &str,
    reason: &str,
    back_to: Option<ItemState>,
) -> Result<()> {
    need_reason(reason)?;
    if let Some(to) = back_to.filter(|t| !matches!(t, Backlog | Proposed | Deferred)) {
        return Err(Error::Invalid(format!(
            "an item taken off its occurrence goes back to backlog, proposed or deferred, not {}",
            to.as_str()
        )));
    }
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    for item in items {
        take_off(&tx, item, actor, reason, back_to, &at)?;
    }
    tx.commit()?;
    Ok(())
}

fn take_off(
    tx: &Connection,
    item: &str,
    actor: &str,
    reason: &str,
    back_to: Option<ItemState>,
    at: &str,
) -> Result<()> {
    crate::changes::because(tx, reason)?;
    crate::changes::acting(tx, actor)?;
    let it = load(tx, item)?;
    if it.window.is_none() {
        return Err(Error::Invalid("the item is not scheduled".into()));
    }
    if matches!(it.state, InProgress | Done | Verified) {
        return Err(Error::Invalid(format!(
            "a {} item stays on its occurrence",
            it.state.as_str()
        )));
    }
    if matches!(it.state, Scheduled | Approved) {
        transition_tx(tx, item, Proposed, actor, reason, at).or_else(|_| {
            // approved -> proposed is not a person's move, but unscheduling makes it so.
            tx.execute(
                "UPDATE work_items SET state = 'proposed' WHERE id = ?1",
                [item],
            )?;
            clear_placement(tx, item, actor, at, reason)
        })?;
    } else {
        clear_placement(tx, item, actor, at, reason)?;
    }
    if let Some(to) = back_to {
        let now_state = load(tx, item)?.state;
        if now_state != to {
            transition_tx(tx, item, to, actor, reason, at)?;
        }
    }
    Ok(())
}

/// Sets the owners given (None leaves a role as it is). The approver cannot be the ops owner.
pub fn assign(
    ws: &mut Workspace,
    item: &str,
    ops: Option<&str>,
    security: Option<&str>,
    approver: Option<&str>,
    actor: &str,
    reason: &str,
) -> Result<()> {
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    crate::changes::because(&tx, reason)?;
    crate::changes::acting(&tx, actor)?;
    load(&tx, item)?;
    let (o0, s0, a0): (Option<String>, Option<String>, Option<String>) = tx.query_row(
        "SELECT ops_owner_id, security_owner_id, approver_id FROM work_items WHERE id = ?1",
        [item],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let resolve = |p: Option<&str>| p.map(|p| super::person_id(&tx, p)).transpose();
    let (o1, s1, a1) = (
        resolve(ops)?.or(o0.clone()),
        resolve(security)?.or(s0.clone()),
        resolve(approver)?.or(a0.clone()),
    );
    if o1.is_some() && o1 == a1 {
        return Err(Error::Invalid(
            "the approver cannot be the ops owner: nobody approves their own request".into(),
        ));
    }
    for (col, old, new) in [
        ("ops_owner_id", &o0, &o1),
        ("security_owner_id", &s0, &s1),
        ("approver_id", &a0, &a1),
    ] {
        if old != new {
            tx.execute(
                &format!("UPDATE work_items SET {col} = ?2, updated_at = ?3 WHERE id = ?1"),
                params![item, new, at],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// After an import: done items none of whose findings is open any more become verified.
/// Cheap: only done items are looked at. Returns how many.
pub fn verify_done_items(conn: &Connection, actor: &str, at: &str) -> Result<u32> {
    crate::changes::because(conn, "a rescan found every finding fixed")?;
    crate::changes::acting(conn, actor)?;
    let ids: Vec<String> = conn
        .prepare(
            "SELECT id FROM work_items i WHERE state = 'done' AND NOT EXISTS (
               SELECT 1 FROM work_item_findings w JOIN findings f ON f.id = w.finding_id
               WHERE w.work_item_id = i.id AND f.status NOT IN ('fixed','false_positive'))",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        conn.execute(
            "UPDATE work_items SET state = 'verified', updated_at = ?2 WHERE id = ?1",
            params![id, at],
        )?;
    }
    Ok(ids.len() as u32)
}

/// Edits the title, action or team of an item by hand; the item is then pinned (regrouping keeps it).
pub fn edit(
    ws: &mut Workspace,
    item: &str,
    field: &str,
    value: &str,
    actor: &str,
    reason: &str,
) -> Result<()> {
    let col = match field {
        "title" | "action" => field,
        "team" => "team_id",
        _ => {
            return Err(Error::Invalid(format!(
                "cannot edit '{field}': title, action or team"
            )))
        }
    };
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    crate::changes::because(&tx, reason)?;
    crate::changes::acting(&tx, actor)?;
    load(&tx, item)?;
    let value = if col == "team_id" {
        super::team_id(&tx, value)?
    } else {
        value.to_string()
    };
    tx.execute(
        &format!("UPDATE work_items SET {col} = ?2, pinned = 1, updated_at = ?3 WHERE id = ?1"),
        params![item, value, at],
    )?;
    tx.commit()?;
    Ok(())
}

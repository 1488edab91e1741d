//! Exceptions (risk acceptance) and commitments (ops' promises).
//!
//! An exception covers a finding or a whole item: a justification, a compensating control, who
//! asked, an approver who is not the requester, and an expiry. Approved, it marks the covered open
//! findings risk-accepted and pauses their SLA clock; on expiry they reopen and the clock resumes.
//!
//! A commitment promises an item's fix in its current occurrence. It is kept when the item is
//! done; when the occurrence ends first it is marked missed, and a move to another occurrence
//! withdraws it, both in the change log: a promise is never silently moved.

use rusqlite::{params, Connection, OptionalExtension};

use crate::changelog::{record, Change};
use crate::error::{Error, Result};
use crate::ids::{new_id, now};
use crate::Workspace;

/// One change; `by` is (actor, time), `what` (entity, id).
fn log(
    conn: &Connection,
    by: (&str, &str),
    what: (&str, &str),
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    reason: Option<&str>,
) -> Result<()> {
    let ((actor, at), (entity, id)) = (by, what);
    record(
        conn,
        actor,
        at,
        &Change {
            entity,
            entity_id: id,
            field,
            old,
            new,
            reason,
        },
    )?;
    Ok(())
}

/// What an exception covers.
pub enum Target<'a> {
    Item(&'a str),
    Finding(&'a str),
}

/// Asks for an exception; `requested_by` is a person. Returns its id.
pub fn request(
    ws: &mut Workspace,
    target: Target<'_>,
    justification: &str,
    compensating_control: Option<&str>,
    requested_by: &str,
    expires_at: &str,
) -> Result<String> {
    if justification.trim().is_empty() {
        return Err(Error::Invalid("an exception needs a justification".into()));
    }
    let expires = chrono::DateTime::parse_from_rfc3339(expires_at)
        .map_err(|e| Error::Invalid(format!("expiry '{expires_at}': {e}")))?;
    let expires = crate::ids::utc_text(expires.to_utc());
    let actor = ws.actor().to_string();
    let at = now();
    let tx = ws.write_tx()?;
    let who = super::person_id(&tx, requested_by)?;
    let (item, finding) = match target {
        Target::Item(i) => (Some(i), None),
        Target::Finding(f) => (None, Some(f)),
    };
    let id = new_id();
    tx.execute(
        "INSERT INTO exceptions (id, work_item_id, finding_id, justification, compensating_control, requested_by, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, item, finding, justification, compensating_control, who, expires, at],
    )?;
    log(
        &tx,
        (&actor, &at),
        ("exception", &id),
        "state",
        None,
        Some("requested"),
        Some(justification),
    )?;
    if let Some(i) = item {
        log(
            &tx,
            (&actor, &at),
            ("work_item", i),
            "exception",
            None,
            Some(&id),
            Some(justification),
        )?;
    }
    tx.commit()?;
    Ok(id)
}

/// Approves an exception: `approver` (a person) must not be the requester.
pub fn approve(ws: &mut Workspace, id: &str, approver: &str, reason: &str) -> Result<()> {
    let actor = ws.actor().to_string();
    let at = now();
    let tx = ws.write_tx()?;
    let row: Option<(String, String, Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT requested_by, state, work_item_id, finding_id FROM exceptions WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((requester, state, item, finding)) = row else {
        return Err(Error::Invalid(format!("no exception '{id}'")));
    };
    if state != "requested" {
        return Err(Error::Invalid(format!(
            "the exception is {state}, not awaiting approval"
        )));
    }
    let who = super::person_id(&tx, approver)?;
    if who == requester {
        return Err(Error::Invalid(
            "the requester cannot approve their own exception".into(),
        ));
    }
    tx.execute("UPDATE exceptions SET state = 'approved', approved_by = ?2, approved_at = ?3 WHERE id = ?1", params![id, who, at])?;
    log(
        &tx,
        (&actor, &at),
        ("exception", id),
        "state",
        Some("requested"),
        Some("approved"),
        Some(reason),
    )?;
    let covered = "SELECT f.id FROM findings f WHERE f.status = 'open' AND (f.id = ?1 OR f.id IN (SELECT finding_id FROM work_item_findings WHERE work_item_id = ?2))";
    let ids: Vec<String> = tx
        .prepare(covered)?
        .query_map(params![finding, item], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for f in &ids {
        tx.execute(
            "UPDATE findings SET status = 'risk_accepted' WHERE id = ?1",
            [f],
        )?;
        log(
            &tx,
            (&actor, &at),
            ("finding", f),
            "status",
            Some("open"),
            Some("risk_accepted"),
            Some(&format!("exception {id}")),
        )?;
    }
    super::stats::refresh(&tx)?;
    tx.commit()?;
    Ok(())
}

/// Expires approved exceptions whose expiry has passed (`at`): their risk-accepted findings
/// reopen and the clock resumes. Returns how many findings reopened.
pub fn expire(ws: &mut Workspace) -> Result<u32> {
    let actor = ws.actor().to_string();
    let tx = ws.write_tx()?;
    let n = expire_tx(&tx, &actor, &now())?;
    super::stats::refresh(&tx)?;
    tx.commit()?;
    Ok(n)
}

pub(crate) fn expire_tx(conn: &Connection, actor: &str, at: &str) -> Result<u32> {
    let due: Vec<(String, String, Option<String>, Option<String>)> = conn
        .prepare("SELECT id, expires_at, work_item_id, finding_id FROM exceptions WHERE state = 'approved' AND expires_at <= ?1")?
        .query_map([at], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    let mut reopened = 0;
    for (id, expires, item, finding) in due {
        conn.execute(
            "UPDATE exceptions SET state = 'expired', ended_at = ?2 WHERE id = ?1",
            params![id, expires],
        )?;
        log(
            conn,
            (actor, at),
            ("exception", &id),
            "state",
            Some("approved"),
            Some("expired"),
            Some("expiry reached"),
        )?;
        // Reopen what it covered, unless another approved exception still covers it.
        let ids: Vec<String> = conn
            .prepare(
                "SELECT f.id FROM findings f WHERE f.status = 'risk_accepted'
                   AND (f.id = ?1 OR f.id IN (SELECT finding_id FROM work_item_findings WHERE work_item_id = ?2))
                   AND NOT EXISTS (SELECT 1 FROM exceptions e WHERE e.state = 'approved' AND (e.finding_id = f.id
                        OR e.work_item_id IN (SELECT work_item_id FROM work_item_findings WHERE finding_id = f.id)))",
            )?
            .query_map(params![finding, item], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for f in &ids {
            conn.execute("UPDATE findings SET status = 'open' WHERE id = ?1", [f])?;
            log(
                conn,
                (actor, at),
                ("finding", f),
                "status",
                Some("risk_accepted"),
                Some("open"),
                Some(&format!("exception {id} expired")),
            )?;
        }
        reopened += ids.len() as u32;
    }
    Ok(reopened)
}

/// Ops promise to fix `item` in the occurrence it is scheduled on. Returns the commitment's id.
pub fn commit(ws: &mut Workspace, item: &str, person: &str, promise: &str) -> Result<String> {
    let actor = ws.actor().to_string();
    let at = now();
    let tx = ws.write_tx()?;
    let who = super::person_id(&tx, person)?;
    let placed: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT window_id, occurrence_start FROM work_items WHERE id = ?1",
            [item],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((Some(window), Some(start))) = placed else {
        return Err(Error::Invalid(
            "only a scheduled item can be promised".into(),
        ));
    };
    let id = new_id();
    tx.execute(
        "INSERT INTO commitments (id, work_item_id, window_id, occurrence_start, committed_by, committed_at, promise) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, item, window, start, who, at, promise],
    )?;
    log(
        &tx,
        (&actor, &at),
        ("work_item", item),
        "commitment",
        None,
        Some(&format!("{window} @ {start}: {promise}")),
        Some(promise),
    )?;
    tx.commit()?;
    Ok(id)
}

pub(crate) fn withdraw_commitments(
    conn: &Connection,
    item: &str,
    actor: &str,
    at: &str,
    reason: &str,
) -> Result<()> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM commitments WHERE work_item_id = ?1 AND state = 'open'")?
        .query_map([item], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        conn.execute(
            "UPDATE commitments SET state = 'withdrawn' WHERE id = ?1",
            [&id],
        )?;
        log(
            conn,
            (actor, at),
            ("work_item", item),
            "commitment",
            Some(&id),
            Some("withdrawn"),
            Some(reason),
        )?;
    }
    Ok(())
}

/// Marks open commitments whose occurrence has ended (start + window duration <= `at`) without
/// the item done as missed, in the change log. Returns how many.
pub fn mark_missed(conn: &Connection, actor: &str, at: &str) -> Result<u32> {
    let ids: Vec<(String, String)> = conn
        .prepare(
            "SELECT c.id, c.work_item_id FROM commitments c JOIN change_windows w ON w.id = c.window_id
             JOIN work_items i ON i.id = c.work_item_id
             WHERE c.state = 'open' AND i.state NOT IN ('done','verified')
               AND julianday(c.occurrence_start) + w.duration_min / 1440.0 <= julianday(?1)",
        )?
        .query_map([at], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, item) in &ids {
        conn.execute(
            "UPDATE commitments SET state = 'missed' WHERE id = ?1",
            [id],
        )?;
        log(
            conn,
            (actor, at),
            ("work_item", item),
            "commitment",
            Some(id),
            Some("missed"),
            Some("the occurrence ended before the item was done"),
        )?;
    }
    Ok(ids.len() as u32)
}

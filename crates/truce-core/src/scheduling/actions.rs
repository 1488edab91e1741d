//! What people do with the plan, on a workspace: check a drop, schedule with the conflicts
//! answered, ask for an auto-plan and accept it, check the whole plan, see the forecast.
//! The app and the CLI call these; nothing is placed without its conflicts checked first.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::{load, Conflict, ItemConflicts, OccurrenceKey, Placement, Proposal, RiskWeek};
use crate::error::{Error, Result};
use crate::planning;
use crate::Workspace;

/// The conflicts one dragged item would have on the target occurrence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DropCheck {
    pub item_id: String,
    pub conflicts: Vec<Conflict>,
}

impl DropCheck {
    pub fn refused(&self) -> bool {
        self.conflicts.iter().any(|c| c.hard)
    }
    pub fn needs_confirmation(&self) -> bool {
        !self.refused() && !self.conflicts.is_empty()
    }
}

/// What came of a request to schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ScheduleOutcome {
    /// Placed; soft conflicts, if any, were confirmed and are in the change log's reason.
    Scheduled { checks: Vec<DropCheck> },
    /// A hard conflict: nothing was placed.
    Refused { checks: Vec<DropCheck> },
    /// Soft conflicts only: nothing was placed until a person confirms with a reason.
    NeedsConfirmation { checks: Vec<DropCheck> },
}

/// What an item's history says of a placement: the person's reason, and the soft conflicts
/// they accepted with it.
fn history_reason(reason: &str, conflicts: &[Conflict]) -> String {
    let accepted: Vec<&str> = conflicts.iter().map(|c| c.message.as_str()).collect();
    match (reason.trim(), accepted.is_empty()) {
        ("", true) => "placed on the plan".to_string(),
        (r, true) => r.to_string(),
        (r, false) => format!("{r} (accepted: {})", accepted.join("; ")),
    }
}

/// The conflicts of dropping `items` (in that order) on `target`, as of `now`.
pub fn check_drop(
    ws: &Workspace,
    items: &[String],
    target: &OccurrenceKey,
    now: DateTime<Utc>,
) -> Result<Vec<DropCheck>> {
    check_drop_in(ws.conn(), items, target, now)
}

/// [`check_drop`] on `conn`: the write transaction that then carries the drop out.
fn check_drop_in(
    conn: &rusqlite::Connection,
    items: &[String],
    target: &OccurrenceKey,
    now: DateTime<Utc>,
) -> Result<Vec<DropCheck>> {
    let planner = load::around(conn, now, items, target)?;
    Ok(planner
        .check_many(items, target)
        .map_err(|e| Error::Invalid(e.to_string()))?
        .into_iter()
        .map(|(item_id, conflicts)| DropCheck { item_id, conflicts })
        .collect())
}

/// Of `items` dropped together on `target` and refused, the ones that could still go there, in
/// the order dropped: each checked as if the ones kept before it had landed (four of six when
/// the window has four places left). Empty when none fits.
pub fn fitting(
    ws: &Workspace,
    items: &[String],
    target: &OccurrenceKey,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let planner = load::around(ws.conn(), now, items, target)?;
    let keys: Vec<(&str, &OccurrenceKey)> = items.iter().map(|i| (i.as_str(), target)).collect();
    let checks = planner
        .check_in_order(&keys, |c| !c.iter().any(|x| x.hard))
        .map_err(|e| Error::Invalid(e.to_string()))?;
    Ok(items
        .iter()
        .zip(checks)
        .filter(|(_, c)| !c.iter().any(|x| x.hard))
        .map(|(i, _)| i.clone())
        .collect())
}

/// Schedules `items` on `target` if no hard conflict stands in the way and, when there are soft
/// ones, only with `confirmed` set and a reason: the conflicts accepted are recorded with it.
#[tracing::instrument(target = "truce::plan", name = "drop", skip_all, fields(items = items.len()))]
pub fn schedule(
    ws: &mut Workspace,
    items: &[String],
    target: &OccurrenceKey,
    reason: &str,
    confirmed: bool,
    now: DateTime<Utc>,
) -> Result<ScheduleOutcome> {
    let actor = ws.actor().to_string();
    // Checked and written in one write transaction: nobody (the CLI, another window, a sync)
    // can fill the window between the check and the write.
    let tx = ws.write_tx()?;
    let checks = check_drop_in(&tx, items, target, now)?;
    if checks.iter().any(DropCheck::refused) {
        return Ok(ScheduleOutcome::Refused { checks });
    }
    let soft = checks.iter().any(DropCheck::needs_confirmation);
    if soft && !confirmed {
        return Ok(ScheduleOutcome::NeedsConfirmation { checks });
    }
    if soft && reason.trim().is_empty() {
        return Err(Error::Invalid(
            "scheduling despite a conflict needs a reason (it goes into the item's history)".into(),
        ));
    }
    let start = target.start_utc.to_rfc3339();
    // One transaction for the whole drop: an item that cannot be scheduled (done, say) leaves
    // the others where they were.
    let whys: Vec<String> = checks
        .iter()
        .map(|check| history_reason(reason, &check.conflicts))
        .collect();
    let placings: Vec<planning::states::Placing> = checks
        .iter()
        .zip(&whys)
        .map(|(c, why)| planning::states::Placing {
            item: &c.item_id,
            window_id: &target.window_id,
            occurrence_start: &start,
            reason: why,
        })
        .collect();
    planning::states::place_all(&tx, &placings, &actor)?;
    tx.commit()?;
    Ok(ScheduleOutcome::Scheduled { checks })
}

/// Puts items back as they were before a step on the board (undo), or as a step left them
/// (redo): the whole prior state, an approval included, through the same rules as a drop. A
/// place that now conflicts is refused, or waits for a person's confirmation and reason, as a
/// drop would; nothing is written until every item can go back.
pub fn restore(
    ws: &mut Workspace,
    items: &[planning::states::ItemSnapshot],
    reason: &str,
    confirmed: bool,
    now: DateTime<Utc>,
) -> Result<ScheduleOutcome> {
    let actor = ws.actor().to_string();
    let tx = ws.write_tx()?;
    // The items whose place changes, by the place they go back to.
    let mut moves: Vec<(OccurrenceKey, Vec<String>)> = Vec::new();
    for was in items {
        let (Some(w), Some(s)) = (&was.window_id, &was.occurrence_start) else {
            continue;
        };
        let here: (Option<String>, Option<String>) = tx.query_row(
            "SELECT window_id, occurrence_start FROM work_items WHERE id = ?1",
            [&was.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if here == (Some(w.clone()), Some(s.clone())) {
            continue;
        }
        let start = crate::calendar::parse_instant(s)?;
        match moves
            .iter_mut()
            .find(|(k, _)| k.window_id == *w && k.start_utc == start)
        {
            Some((_, ids)) => ids.push(was.id.clone()),
            None => moves.push((
                OccurrenceKey {
                    window_id: w.clone(),
                    start_utc: start,
                },
                vec![was.id.clone()],
            )),
        }
    }
    let mut checks = Vec::new();
    for (target, ids) in &moves {
        checks.extend(check_drop_in(&tx, ids, target, now)?);
    }
    if checks.iter().any(DropCheck::refused) {
        return Ok(ScheduleOutcome::Refused { checks });
    }
    let soft = checks.iter().any(DropCheck::needs_confirmation);
    if soft && !confirmed {
        return Ok(ScheduleOutcome::NeedsConfirmation { checks });
    }
    if soft && reason.trim().is_empty() {
        return Err(Error::Invalid(
            "putting items back despite a conflict needs a reason (it goes into the item's history)".into(),
        ));
    }
    let at = crate::changes::now(&tx)?;
    for was in items {
        let conflicts = checks
            .iter()
            .find(|c| c.item_id == was.id)
            .map_or(&[][..], |c| c.conflicts.as_slice());
        let why = history_reason(reason, conflicts);
        planning::states::restore_tx(&tx, was, &actor, &why, &at)?;
    }
    tx.commit()?;
    Ok(ScheduleOutcome::Scheduled { checks })
}

/// A proposal for every unplaced item that still needs a place, `days` ahead; with `among`,
/// for those items only (what the board's filters show).
#[tracing::instrument(target = "truce::plan", name = "auto_plan", skip_all, fields(days))]
pub fn auto_plan(
    ws: &Workspace,
    now: DateTime<Utc>,
    days: i64,
    among: Option<&[String]>,
) -> Result<Proposal> {
    let among = among.map(|a| a.iter().map(String::as_str).collect::<HashSet<&str>>());
    Ok(load::whole(ws.conn(), now, days)?.propose_among(among.as_ref()))
}

/// What accepting a proposal did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AcceptReport {
    pub scheduled: Vec<String>,
    /// Items the proposal placed that could not be scheduled any more, with why.
    pub skipped: Vec<DropCheck>,
    /// Items whose place has soft conflicts (late, double-booked...) that a drop would take only
    /// with a reason: left unscheduled until a person gives one.
    pub needs_reason: Vec<DropCheck>,
}

/// Accepts the auto-plan: all of it (`only` None) or the named items. The proposal is made
/// again (it is deterministic) and each placement goes through the same checks as a drop, so
/// a plan that changed meanwhile is never forced.
///
/// A placement with soft conflicts is scheduled only with `reason` (a person's words, kept in
/// the item's history beside the conflicts), as a drop would be; without one it is listed in
/// `needs_reason` and left as it is.
#[tracing::instrument(target = "truce::plan", name = "accept", skip_all, fields(days))]
pub fn accept(
    ws: &mut Workspace,
    only: Option<&[String]>,
    among: Option<&[String]>,
    reason: Option<&str>,
    now: DateTime<Utc>,
    days: i64,
) -> Result<AcceptReport> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    let actor = ws.actor().to_string();
    // The proposal is made, checked and carried out in one write transaction.
    let tx = ws.write_tx()?;
    let planner = load::whole(&tx, now, days)?;
    let among = among.map(|a| a.iter().map(String::as_str).collect::<HashSet<&str>>());
    let proposal = planner.propose_among(among.as_ref());
    if let Some(ids) = only {
        if let Some(missing) = ids
            .iter()
            .find(|id| !proposal.placements.iter().any(|p| &p.item_id == *id))
        {
            return Err(Error::Invalid(format!(
                "the auto-plan has no place for work item '{missing}'"
            )));
        }
    }
    let chosen: Vec<&Placement> = proposal
        .placements
        .iter()
        .filter(|p| only.is_none_or(|ids| ids.contains(&p.item_id)))
        .collect();
    // Each placement is checked as a drop would be, against the plan with the accepted ones
    // before it carried out: one planner for all of them, then one transaction.
    let keys: Vec<(&str, &OccurrenceKey)> = chosen
        .iter()
        .map(|p| (p.item_id.as_str(), &p.occurrence))
        .collect();
    let checks = planner
        .check_in_order(&keys, |c| !c.iter().any(|x| x.hard))
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let mut report = AcceptReport {
        scheduled: Vec::new(),
        skipped: Vec::new(),
        needs_reason: Vec::new(),
    };
    let mut accepted: Vec<(&Placement, String, String)> = Vec::new();
    for (p, conflicts) in chosen.into_iter().zip(checks) {
        if conflicts.iter().any(|c| c.hard) {
            report.skipped.push(DropCheck {
                item_id: p.item_id.clone(),
                conflicts,
            });
            continue;
        }
        let why = match (conflicts.is_empty(), reason) {
            (true, _) => history_reason(&format!("auto-plan accepted: {}", p.why), &conflicts),
            (false, Some(r)) => history_reason(&format!("{r} (auto-plan: {})", p.why), &conflicts),
            (false, None) => {
                report.needs_reason.push(DropCheck {
                    item_id: p.item_id.clone(),
                    conflicts,
                });
                continue;
            }
        };
        accepted.push((p, p.occurrence.start_utc.to_rfc3339(), why));
    }
    let placings: Vec<planning::states::Placing> = accepted
        .iter()
        .map(|(p, start, why)| planning::states::Placing {
            item: &p.item_id,
            window_id: &p.occurrence.window_id,
            occurrence_start: start,
            reason: why,
        })
        .collect();
    planning::states::place_all(&tx, &placings, &actor)?;
    tx.commit()?;
    report.scheduled = accepted.iter().map(|(p, ..)| p.item_id.clone()).collect();
    Ok(report)
}

/// The conflicts of every placed item still to do.
pub fn plan_conflicts(ws: &Workspace, now: DateTime<Utc>) -> Result<Vec<ItemConflicts>> {
    Ok(load::whole(ws.conn(), now, load::HORIZON_DAYS)?.check_all())
}

/// Open risk by week if the plan is carried out.
pub fn forecast(ws: &Workspace, now: DateTime<Utc>, weeks: u32) -> Result<Vec<RiskWeek>> {
    Ok(load::whole(ws.conn(), now, i64::from(weeks) * 7)?.forecast(weeks))
}

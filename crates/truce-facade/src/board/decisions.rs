//! Exceptions as the item page and the dashboard ask for them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::instant;
use truce_core::error::Result;
use truce_core::planning::{self, exceptions::ExceptionRow};
use truce_core::Workspace;

/// A request, by the person signed in, to accept the risk of an item until `expires_at`
/// (RFC 3339 or a date: the end of that day, UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExceptionRequest {
    pub id: String,
    pub justification: String,
    pub compensating_control: Option<String>,
    pub expires_at: String,
}

pub fn request_exception(
    ws: &mut Workspace,
    now: DateTime<Utc>,
    r: ExceptionRequest,
) -> Result<String> {
    let id = planning::items::resolve_id(ws.conn(), &r.id)?;
    let expires = expiry(&r.expires_at)?;
    let actor = ws.actor().to_string();
    planning::exceptions::request(
        ws,
        &planning::exceptions::Ask {
            target: planning::exceptions::Target::Item(&id),
            justification: &r.justification,
            compensating_control: r.compensating_control.as_deref(),
            expires_at: expires,
        },
        &actor,
        now,
    )
}

/// An expiry as people give it: a plain date means the end of that day (UTC).
pub fn expiry(s: &str) -> Result<DateTime<Utc>> {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) => Ok(d.and_hms_opt(23, 59, 59).expect("a valid time").and_utc()),
        Err(_) => instant(s),
    }
}

/// Approve or reject an exception, as the person signed in, with a reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DecideExceptionRequest {
    pub id: String,
    pub approve: bool,
    pub reason: String,
}

pub fn decide_exception(
    ws: &mut Workspace,
    now: DateTime<Utc>,
    r: DecideExceptionRequest,
) -> Result<()> {
    let actor = ws.actor().to_string();
    if r.approve {
        planning::exceptions::approve(ws, &r.id, &actor, &r.reason, now)
    } else {
        planning::exceptions::reject(ws, &r.id, &actor, &r.reason, now)
    }
}

/// Exceptions awaiting a decision or in force that end within `days` (all exceptions if None).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExceptionsRequest {
    pub ending_within_days: Option<u32>,
}

pub fn exceptions(
    ws: &mut Workspace,
    now: DateTime<Utc>,
    r: ExceptionsRequest,
) -> Result<Vec<ExceptionRow>> {
    planning::exceptions::list(
        ws.conn(),
        &planning::exceptions::Filter {
            item: None,
            ending_before: r
                .ending_within_days
                .map(|d| now + Duration::days(i64::from(d))),
        },
    )
}

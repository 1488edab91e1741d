//! Ids and times as every table stores them: UUIDv7 text, RFC 3339 UTC text.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn now() -> String {
    utc_text(Utc::now())
}

pub fn utc_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Now with milliseconds: the scan time of reports that carry none, so two such imports in
/// the same second still come in order. (Scanner times stay as precise as the file says.)
pub fn now_precise() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

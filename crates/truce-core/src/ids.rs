//! Ids and times as every table stores them: UUIDv7 text, RFC 3339 UTC text.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn utc_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

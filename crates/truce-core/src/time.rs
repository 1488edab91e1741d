//! Instants as the tables keep them: RFC 3339 text in UTC, as precise as their source (a scanner
//! may say seconds, another milliseconds, Truce's own clock says milliseconds). Text order is not
//! time order across precisions ("…00.5Z" sorts before "…00Z"), so wherever order matters the
//! core compares [`Timestamp`]s in Rust and `julianday()` in SQL, never the text.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

/// A stored instant, ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Reads stored text; None for text that is not RFC 3339.
    pub fn parse(text: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Timestamp(t.to_utc()))
    }
}

/// How two stored instants compare in time; text that does not parse sorts first, as SQLite's
/// NULL from `julianday()` would.
pub fn compare(a: &str, b: &str) -> Ordering {
    Timestamp::parse(a).cmp(&Timestamp::parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_time_not_text() {
        // As text, "…00.5Z" < "…00Z" ('.' sorts before 'Z'); in time it is half a second later.
        assert_eq!(
            compare("2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00Z"),
            Ordering::Greater
        );
        assert_eq!(
            compare("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00Z"),
            Ordering::Equal
        );
        assert_eq!(
            compare("2026-01-01T02:00:00+02:00", "2026-01-01T00:00:00Z"),
            Ordering::Equal
        );
    }
}

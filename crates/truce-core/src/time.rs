//! Instants as the tables keep them: RFC 3339 text in UTC with milliseconds, always
//! ('2026-12-01T21:00:00.000Z', `ids::utc_text`; migration 18 rewrote older rows). One fixed
//! precision makes text order time order for what the tables hold; text from outside (a request,
//! a report) may carry any offset or precision, so it is read as a [`Timestamp`] and written back
//! in the tables' form, and order across the two is compared as time (`compare`, `julianday()`).

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

    /// As the tables keep it.
    pub fn text(&self) -> String {
        crate::ids::utc_text(self.0)
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

    #[test]
    fn stored_text_has_one_precision_whatever_was_read() {
        let text = |s: &str| Timestamp::parse(s).unwrap().text();
        assert_eq!(text("2026-01-01T00:00:00Z"), "2026-01-01T00:00:00.000Z");
        assert_eq!(text("2026-01-01T00:00:00.5Z"), "2026-01-01T00:00:00.500Z");
        assert_eq!(
            text("2026-01-01T01:00:00.123456+01:00"),
            "2026-01-01T00:00:00.123Z"
        );
        // Fixed precision: the text sorts as the time does.
        assert!(text("2026-01-01T00:00:00Z") < text("2026-01-01T00:00:00.5Z"));
    }
}

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
/// the same second still come in order. Strictly increasing within a process, so even two
/// imports in the same millisecond do. (Scanner times stay as precise as the file says.)
pub fn now_precise() -> String {
    use std::sync::atomic::{AtomicI64, Ordering::SeqCst};
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = Utc::now().timestamp_millis();
    let mut last = LAST.load(SeqCst);
    let ms = loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange(last, next, SeqCst, SeqCst) {
            Ok(_) => break next,
            Err(actual) => last = actual,
        }
    };
    DateTime::from_timestamp_millis(ms)
        .unwrap_or_else(Utc::now)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn precise_times_strictly_increase() {
        let times: Vec<String> = (0..1000).map(|_| super::now_precise()).collect();
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{:?}", &times[..3]);
    }
}

//! How often one device may ask: a token bucket per device token, in each hub process. A laptop
//! pushes a batch every few seconds; a device asking thousands of times a second is broken or
//! hostile, and is answered 429 with when to come back, before the hub looks its token up, so it
//! costs the database nothing and the others are served meanwhile.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests a second one token may make, and how many it may make at once after a quiet spell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for Limits {
    /// Forty times what a laptop pushing every few seconds needs, and room for a backlog's batches.
    fn default() -> Self {
        Limits {
            per_second: 200.0,
            burst: 400.0,
        }
    }
}

/// The buckets, by token (as given: an unknown token is limited like a known one).
pub struct Limiter {
    limits: Limits,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// At most this many buckets are kept; past it the full ones (quiet devices) are forgotten.
const MAX_BUCKETS: usize = 100_000;

impl Limiter {
    pub fn new(limits: Limits) -> Limiter {
        Limiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket, or says how long until it has one.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let Limits { per_second, burst } = self.limits;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(key) {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * per_second < burst
            });
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * per_second).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_second))
        }
    }
}

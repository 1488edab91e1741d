//! The scanners' APIs findings are synced from, one module per source. They share how a request
//! is sent: async on tokio with reqwest (rustls), a timeout per request and a deadline for the
//! whole sync, waits where the vendor asks for them (429 with `Retry-After`) and retries with
//! backoff and jitter on 5xx and timeouts, a bounded number of times. Credentials go in headers
//! only: no error or log line carries them.

pub mod defectdojo;
pub mod defender;
pub mod qualys_vmdr;
pub mod rapid7;
pub mod tenable_sc;
pub mod tenable_vm;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{failed, Failed};

/// How long and how often a sync may wait and try again, and whether the person stopped it.
#[derive(Debug, Clone)]
pub struct Patience {
    /// One request, headers and body.
    pub request: Duration,
    /// The whole sync.
    pub deadline: Duration,
    /// Tries after the first, for one request.
    pub retries: u32,
    /// The longest single wait (a `Retry-After` beyond it is cut to it).
    pub longest_wait: Duration,
    /// The first wait between two looks at a job the vendor is still preparing.
    pub poll: Duration,
    /// The largest page (chunk) read: a bigger one is refused, not cut.
    pub max_page: usize,
    /// Set (by another thread: the app's Cancel, Ctrl+C) to stop the sync at its next wait for
    /// the network, within [`crate::CANCEL_NOTICED`]. What was imported before stays.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for Patience {
    fn default() -> Self {
        Patience {
            request: Duration::from_secs(120),
            deadline: Duration::from_secs(4 * 3600),
            retries: 5,
            longest_wait: Duration::from_secs(60),
            poll: Duration::from_secs(2),
            // 5,000 assets' vulnerabilities with their plugin output stay well under it.
            max_page: 1 << 30,
            cancel: None,
        }
    }
}

/// What a sync tells the person while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The vendor is preparing the export (its status, chunks ready so far).
    Preparing { status: String, ready: usize },
    /// A chunk (page) was read and handed over; how many so far.
    Chunk { id: u32, done: usize },
    /// The vendor asked to slow down: waiting this long.
    RateLimited { wait: Duration },
    /// A request failed in a way worth trying again (a 5xx, a timeout).
    Retrying { wait: Duration, problem: String },
    /// A page was imported: the pages and findings this sync has landed so far.
    Landed { pages: u32, findings: u32 },
}

/// Runs `f` to its end on a runtime of its own (the core stays synchronous), or until
/// `patience.cancel` is set: `f` is then dropped at its next wait, never inside a page's import
/// (which runs between two waits, synchronously).
pub(crate) fn block<T>(
    url: &str,
    patience: &Patience,
    f: impl Future<Output = Result<T, Failed>>,
) -> Result<T, Failed> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(url, format!("cannot start the network runtime: {e}")))?;
    let Some(cancel) = patience.cancel.clone() else {
        return runtime.block_on(f);
    };
    runtime.block_on(async {
        let stopped = async {
            while !cancel.load(Ordering::Relaxed) {
                tokio::time::sleep(crate::CANCEL_NOTICED / 2).await;
            }
        };
        tokio::select! {
            biased;
            () = stopped => Err(Failed {
                cancelled: true,
                ..failed(url, "the sync was cancelled")
            }),
            r = f => r,
        }
    })
}

pub(crate) fn client(url: &str, patience: &Patience) -> Result<reqwest::Client, Failed> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15).min(patience.request))
        .timeout(patience.request)
        .user_agent(concat!("Truce/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failed(url, e))
}

/// A few hundred milliseconds of jitter, so laptops retrying together do not stay together.
fn jitter() -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    Duration::from_millis(u64::from(nanos % 250))
}

/// How long to wait before try `tries + 1` after a 5xx or a timeout: doubling from half a second,
/// with jitter, at most `longest`.
fn backoff(tries: u32, longest: Duration) -> Duration {
    (Duration::from_millis(500) * (1 << tries.min(6)) + jitter()).min(longest)
}

/// A vendor's own "slow down" answer (Qualys: 409 with `X-RateLimit-ToWait-Sec`): how long it
/// asks to wait, for a response that is one.
pub(crate) type VendorWait<'a> = &'a dyn Fn(&reqwest::Response) -> Option<Duration>;

/// Sends the request `make` builds, trying again after a 429 (as long as `Retry-After` says), a
/// vendor's own "slow down" (as `vendor` says), a 5xx or a timeout, at most `patience.retries`
/// times and never past `until`. Answers the response of any other status for the caller to
/// judge. A wait longer than `patience.longest_wait` is not waited out in this sync: it fails at
/// once, saying how long, and the next sync tries again.
pub(crate) async fn send_waiting(
    url: &str,
    make: &dyn Fn() -> reqwest::RequestBuilder,
    patience: &Patience,
    until: Instant,
    step: &dyn Fn(Step),
    vendor: VendorWait<'_>,
) -> Result<reqwest::Response, Failed> {
    let mut tries = 0u32;
    loop {
        let outcome = make().send().await;
        let asked = outcome.as_ref().ok().and_then(vendor);
        if let Some(w) = asked.filter(|w| *w > patience.longest_wait) {
            return Err(failed(
                url,
                format!(
                    "the API asks to wait {} before the next call, longer than a sync waits; the next sync tries again",
                    human(w)
                ),
            ));
        }
        let wait = match &outcome {
            Ok(_) if asked.is_some() => {
                let wait = asked.unwrap_or_default();
                step(Step::RateLimited { wait });
                Some(wait)
            }
            Ok(r) if r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS => {
                let said = r
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let wait = said
                    .unwrap_or(Duration::from_secs(1 << tries.min(5)))
                    .min(patience.longest_wait);
                step(Step::RateLimited { wait });
                Some(wait)
            }
            Ok(r) if r.status().is_server_error() => {
                let wait = backoff(tries, patience.longest_wait);
                step(Step::Retrying {
                    wait,
                    problem: format!("the server answered {}", r.status()),
                });
                Some(wait)
            }
            Ok(_) => None,
            Err(e) if e.is_timeout() || e.is_connect() => {
                let wait = backoff(tries, patience.longest_wait);
                step(Step::Retrying {
                    wait,
                    problem: crate::describe(e),
                });
                Some(wait)
            }
            Err(_) => None,
        };
        let Some(wait) = wait else {
            return outcome.map_err(|e| failed(url, crate::describe(&e)));
        };
        if tries >= patience.retries || Instant::now() + wait > until {
            return match outcome {
                Ok(r) => Err(failed(
                    url,
                    format!(
                        "the server still answered {} after {} tries",
                        r.status(),
                        tries + 1
                    ),
                )),
                Err(e) => Err(failed(url, crate::describe(&e))),
            };
        }
        tries += 1;
        tokio::time::sleep(wait).await;
    }
}

/// A value as it goes in a URL's path segment or query, or in a form: unreserved characters as
/// they are, every other byte percent-encoded.
pub(crate) fn escape(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether `url` is on `base`'s scheme, host and port: where a vendor's "next page" may be
/// followed with the credentials.
pub(crate) fn same_origin(url: &str, base: &str) -> bool {
    let origin = |u: &str| -> Option<String> {
        let (scheme, rest) = u.trim().split_once("://")?;
        let host = rest.split(['/', '?', '#']).next()?;
        Some(format!(
            "{}://{}",
            scheme.to_ascii_lowercase(),
            host.to_ascii_lowercase()
        ))
    };
    origin(url).is_some() && origin(url) == origin(base)
}

/// A wait in words: "45 s", "12 min", "23 h 57 min".
fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// The body of a response, at most `max` bytes: more is refused, not cut.
pub(crate) async fn body(
    url: &str,
    mut r: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, Failed> {
    let mut out = Vec::new();
    while let Some(piece) = r.chunk().await.map_err(|e| {
        failed(
            url,
            format!("the answer broke off: {}", crate::describe(&e)),
        )
    })? {
        if out.len() + piece.len() > max {
            return Err(failed(
                url,
                format!(
                    "the answer is larger than {} MiB, more than Truce reads",
                    max >> 20
                ),
            ));
        }
        out.extend_from_slice(&piece);
    }
    Ok(out)
}

/// Sends what `make` builds (retrying as `send_waiting` does) and reads the answer, at most `max` bytes:
/// its status and body, for the caller to judge.
pub(crate) async fn ask(
    url: &str,
    make: &dyn Fn() -> reqwest::RequestBuilder,
    patience: &Patience,
    until: Instant,
    step: &dyn Fn(Step),
    max: usize,
) -> Result<(reqwest::StatusCode, Vec<u8>), Failed> {
    ask_waiting(url, make, patience, until, step, max, &|_| None).await
}

/// [`ask`], also waiting as `vendor` says (see [`send_waiting`]).
pub(crate) async fn ask_waiting(
    url: &str,
    make: &dyn Fn() -> reqwest::RequestBuilder,
    patience: &Patience,
    until: Instant,
    step: &dyn Fn(Step),
    max: usize,
    vendor: VendorWait<'_>,
) -> Result<(reqwest::StatusCode, Vec<u8>), Failed> {
    let r = send_waiting(url, make, patience, until, step, vendor).await?;
    let status = r.status();
    Ok((status, body(url, r, max).await?))
}

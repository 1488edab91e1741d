//! Truce's network code: reading a document (an iCalendar feed, CISA's KEV catalog) from an
//! http(s) URL with rustls, timeouts and a size cap. The only crate that touches the network;
//! the rules and the parsers never depend on it (`crates/truce-core/tests/crate_graph.rs`).

pub mod hub;
pub mod sources;

use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Why a URL could not be read: the URL as given and the problem, in words for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub url: String,
    pub problem: String,
    /// The person (or the caller on their behalf) stopped it: not the server's fault.
    pub cancelled: bool,
}

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.url, self.problem)
    }
}

impl std::error::Error for Failed {}

type Result<T> = std::result::Result<T, Failed>;

pub fn is_url(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("webcal://")
}

fn failed(url: &str, problem: impl std::fmt::Display) -> Failed {
    Failed {
        url: url.to_string(),
        problem: problem.to_string(),
        cancelled: false,
    }
}

/// How long a whole transfer may take, headers and body: a server that sends a byte a second
/// passes every read timeout, and 16 MiB at that rate is 194 days.
pub const TRANSFER_LIMIT: Duration = Duration::from_secs(120);

/// How far a transfer has come: bytes received, and the size the server announced, if it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub received: u64,
    pub total: Option<u64>,
}

/// What the caller of a transfer sees while it runs, and how it stops it: `progress` is called
/// when the answer starts and as pieces arrive; setting `cancel` ends the transfer within
/// [`CANCEL_NOTICED`], whatever the server does.
pub struct Watch<'a> {
    pub progress: &'a dyn Fn(Progress),
    pub cancel: &'a AtomicBool,
}

/// At most how long a cancelled transfer keeps its caller waiting.
pub const CANCEL_NOTICED: Duration = Duration::from_millis(100);

/// The body of `url` (http, https, or webcal meaning https), at most `max_bytes`, within
/// [`TRANSFER_LIMIT`].
pub fn fetch(url: &str, max_bytes: usize) -> Result<Vec<u8>> {
    fetch_within(url, max_bytes, TRANSFER_LIMIT)
}

/// [`fetch`], with the whole transfer bounded by `limit`.
pub fn fetch_within(url: &str, max_bytes: usize, limit: Duration) -> Result<Vec<u8>> {
    let never = AtomicBool::new(false);
    fetch_watched(
        url,
        max_bytes,
        limit,
        &Watch {
            progress: &|_| {},
            cancel: &never,
        },
    )
}

/// What the reading thread hands over.
enum Piece {
    /// The answer began; the size it announced.
    Began(Option<u64>),
    Bytes(Vec<u8>),
    End,
    Failed(Failed),
}

/// [`fetch_within`], reporting progress and stopping when `watch.cancel` is set. The network is
/// read on a thread of its own: a read blocked on a silent server cannot hold up a cancel or the
/// transfer limit (that thread ends at its next read, its timeout or the limit).
pub fn fetch_watched(
    url: &str,
    max_bytes: usize,
    limit: Duration,
    watch: &Watch<'_>,
) -> Result<Vec<u8>> {
    let started = Instant::now();
    let url = url.trim();
    let request = request(url, limit)?;
    let (sender, pieces) = mpsc::sync_channel::<Piece>(8);
    let shown = url.to_string();
    std::thread::spawn(move || read(&shown, request, max_bytes, started, limit, &sender));
    let too_slow = |received: usize| {
        failed(
            url,
            format!(
                "the transfer took longer than {} s ({received} bytes had arrived); the server is too slow",
                limit.as_secs()
            ),
        )
    };
    let mut body = Vec::new();
    let mut total = None;
    loop {
        if watch.cancel.load(Ordering::Relaxed) {
            return Err(Failed {
                cancelled: true,
                ..failed(url, format!("cancelled ({} bytes had arrived)", body.len()))
            });
        }
        if started.elapsed() > limit {
            return Err(too_slow(body.len()));
        }
        match pieces.recv_timeout(CANCEL_NOTICED) {
            Ok(Piece::Began(announced)) => total = announced,
            Ok(Piece::Bytes(piece)) => body.extend_from_slice(&piece),
            Ok(Piece::End) => return Ok(body),
            Ok(Piece::Failed(f)) => return Err(f),
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(failed(url, "the transfer stopped without an answer"))
            }
        }
        (watch.progress)(Progress {
            received: body.len() as u64,
            total,
        });
    }
}

/// The request for `url`, checked: a valid http(s) URL (webcal meaning https).
fn request(url: &str, limit: Duration) -> Result<reqwest::blocking::RequestBuilder> {
    let real = match url.get(..9) {
        Some(p) if p.eq_ignore_ascii_case("webcal://") => format!("https://{}", &url[9..]),
        _ => url.to_string(),
    };
    let parsed =
        reqwest::Url::parse(&real).map_err(|e| failed(url, format!("not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(failed(url, "only http:// and https:// URLs can be read"));
    }
    Ok(client(url, limit)?.get(parsed))
}

/// A client with Truce's timeouts, redirects and name; `url` names it in an error.
fn client(url: &str, limit: Duration) -> Result<reqwest::blocking::Client> {
    reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(10).min(limit))
        .timeout(Duration::from_secs(60).min(limit))
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("Truce/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failed(url, e))
}

/// The reading thread: sends the answer in pieces until its end, a failure, the size cap, the
/// limit, or a caller that stopped listening.
fn read(
    url: &str,
    request: reqwest::blocking::RequestBuilder,
    max_bytes: usize,
    started: Instant,
    limit: Duration,
    out: &mpsc::SyncSender<Piece>,
) {
    let fail = |problem: String| {
        let _ = out.send(Piece::Failed(failed(url, problem)));
    };
    let too_large = || format!("the document is larger than {} MiB", max_bytes >> 20);
    let response = match request.send() {
        Ok(r) => r,
        Err(e) => return fail(describe(&e)),
    };
    let status = response.status();
    if !status.is_success() {
        return fail(format!("the server answered {status}"));
    }
    let announced = response.content_length();
    if announced.is_some_and(|n| n > max_bytes as u64) {
        return fail(too_large());
    }
    if out.send(Piece::Began(announced)).is_err() {
        return;
    }
    let mut reader = response.take(max_bytes as u64 + 1);
    let mut received = 0usize;
    let mut piece = vec![0u8; 64 * 1024];
    while started.elapsed() <= limit {
        let n = match reader.read(&mut piece) {
            Ok(0) => {
                let _ = out.send(Piece::End);
                return;
            }
            Ok(n) => n,
            Err(e) => return fail(format!("reading the answer failed: {e}")),
        };
        received += n;
        if received > max_bytes {
            return fail(too_large());
        }
        if out.send(Piece::Bytes(piece[..n].to_vec())).is_err() {
            return;
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "the server did not answer in time".into();
    }
    // reqwest's own words name only the request; the reason (refused, no such host, a
    // certificate not trusted) is deeper in the chain.
    let mut reason = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    let what = if e.is_connect() {
        "cannot connect"
    } else {
        "the request failed"
    };
    if reason.is_empty() {
        format!("{what}: {e}")
    } else {
        format!("{what}: {reason}")
    }
}

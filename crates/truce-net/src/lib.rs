//! Truce's network code: reading a document (an iCalendar feed, CISA's KEV catalog) from an
//! http(s) URL with rustls, timeouts and a size cap. The only crate that touches the network;
//! the rules and the parsers never depend on it (`crates/truce-core/tests/crate_graph.rs`).

use std::io::Read;
use std::time::Duration;

/// Why a URL could not be read: the URL as given and the problem, in words for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failed {
    pub url: String,
    pub problem: String,
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
    }
}

/// How long a whole transfer may take, headers and body: a server that sends a byte a second
/// passes every read timeout, and 16 MiB at that rate is 194 days.
pub const TRANSFER_LIMIT: Duration = Duration::from_secs(120);

/// The body of `url` (http, https, or webcal meaning https), at most `max_bytes`, within
/// [`TRANSFER_LIMIT`].
pub fn fetch(url: &str, max_bytes: usize) -> Result<Vec<u8>> {
    fetch_within(url, max_bytes, TRANSFER_LIMIT)
}

/// [`fetch`], with the whole transfer bounded by `limit`.
pub fn fetch_within(url: &str, max_bytes: usize, limit: Duration) -> Result<Vec<u8>> {
    let started = std::time::Instant::now();
    let url = url.trim();
    let real = match url.get(..9) {
        Some(p) if p.eq_ignore_ascii_case("webcal://") => format!("https://{}", &url[9..]),
        _ => url.to_string(),
    };
    let parsed =
        reqwest::Url::parse(&real).map_err(|e| failed(url, format!("not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(failed(url, "only http:// and https:// URLs can be read"));
    }
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(10).min(limit))
        .timeout(Duration::from_secs(60).min(limit))
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("Truce/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| failed(url, e))?;
    let response = client
        .get(parsed)
        .send()
        .map_err(|e| failed(url, describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(url, format!("the server answered {status}")));
    }
    if response
        .content_length()
        .is_some_and(|n| n > max_bytes as u64)
    {
        return Err(failed(
            url,
            format!("the document is larger than {} MiB", max_bytes >> 20),
        ));
    }
    // Read in pieces, checking the clock between them: each read is bounded by the timeout
    // above, the whole by `limit`.
    let mut body = Vec::new();
    let mut reader = response.take(max_bytes as u64 + 1);
    let mut piece = [0u8; 64 * 1024];
    loop {
        if started.elapsed() > limit {
            return Err(failed(
                url,
                format!(
                    "the transfer took longer than {} s ({} bytes had arrived); the server is too slow",
                    limit.as_secs(),
                    body.len()
                ),
            ));
        }
        let n = reader
            .read(&mut piece)
            .map_err(|e| failed(url, format!("reading the answer failed: {e}")))?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&piece[..n]);
    }
    if body.len() > max_bytes {
        return Err(failed(
            url,
            format!("the document is larger than {} MiB", max_bytes >> 20),
        ));
    }
    Ok(body)
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the server did not answer in time".into()
    } else if e.is_connect() {
        format!("cannot connect: {e}")
    } else {
        e.to_string()
    }
}

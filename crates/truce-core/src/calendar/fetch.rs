//! Reading an iCalendar feed from an http(s) URL: rustls, timeouts, a size cap. The only place
//! in the core that touches the network.

use std::io::Read;
use std::time::Duration;

use super::ical::MAX_ICS_BYTES;
use crate::{Error, Result};

pub fn is_url(s: &str) -> bool {
    let lower = s.trim().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("webcal://")
}

fn failed(url: &str, problem: impl std::fmt::Display) -> Error {
    Error::Unreadable {
        path: url.into(),
        detail: problem.to_string(),
    }
}

/// The body of `url` (http, https, or webcal meaning https), at most [`MAX_ICS_BYTES`].
pub fn fetch(url: &str) -> Result<Vec<u8>> {
    let url = url.trim();
    let real = match url.get(..9) {
        Some(p) if p.eq_ignore_ascii_case("webcal://") => format!("https://{}", &url[9..]),
        _ => url.to_string(),
    };
    let parsed =
        reqwest::Url::parse(&real).map_err(|e| failed(url, format!("not a valid URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(failed(
            url,
            "only http:// and https:// calendar URLs can be imported",
        ));
    }
    let client = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
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
        .is_some_and(|n| n > MAX_ICS_BYTES as u64)
    {
        return Err(failed(
            url,
            format!("the calendar is larger than {} MiB", MAX_ICS_BYTES >> 20),
        ));
    }
    let mut body = Vec::new();
    response
        .take(MAX_ICS_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| failed(url, format!("reading the answer failed: {e}")))?;
    if body.len() > MAX_ICS_BYTES {
        return Err(failed(
            url,
            format!("the calendar is larger than {} MiB", MAX_ICS_BYTES >> 20),
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

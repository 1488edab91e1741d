//! The laptop's client of a team hub (`truce-hub`): pushing operations and pulling everyone's.
//! A refusal comes as `{code, message}` and is reported in the hub's words.

use std::io::Read;
use std::time::Duration;

use truce_sync::{Op, Pulled, Pushed};

use crate::{client, describe, failed, Failed, TRANSFER_LIMIT};

/// The largest push answer read from a hub: a few bytes.
const MAX_ANSWER: u64 = 1 << 20;

/// The largest pull answer: `MAX_PULL` operations of at most a few KiB each, in practice far
/// less (an operation's value is capped at 1 MiB, but whole pages of them are not made).
const MAX_PULL_ANSWER: u64 = 256 << 20;

/// Sends `ops` of `workspace` to the hub at `base` (its address, e.g. `https://hub.example:7878`),
/// as the device `token` names. The token goes in a header and is never part of an error.
pub fn push(base: &str, token: &str, workspace: &str, ops: &[Op]) -> Result<Pushed, Failed> {
    let url = format!(
        "{}/v1/workspaces/{workspace}/ops",
        base.trim().trim_end_matches('/')
    );
    let request = client(&url, TRANSFER_LIMIT)?
        .post(&url)
        .bearer_auth(token)
        .json(&serde_json::json!({ "ops": ops }));
    let body = answer(&url, request, MAX_ANSWER)?;
    serde_json::from_str(&body)
        .map_err(|e| failed(&url, format!("the hub's answer is not a push report: {e}")))
}

/// Asks the hub at `base` for up to `limit` operations of `workspace` after its number `after`,
/// as the device `token` names.
pub fn pull(
    base: &str,
    token: &str,
    workspace: &str,
    after: i64,
    limit: i64,
) -> Result<Pulled, Failed> {
    let url = format!(
        "{}/v1/workspaces/{workspace}/ops?after={after}&limit={limit}",
        base.trim().trim_end_matches('/')
    );
    let request = client(&url, TRANSFER_LIMIT)?.get(&url).bearer_auth(token);
    let body = answer(&url, request, MAX_PULL_ANSWER)?;
    let pulled: Pulled = serde_json::from_str(&body).map_err(|e| {
        failed(
            &url,
            format!("the hub's answer is not a page of operations: {e}"),
        )
    })?;
    // A page that goes backwards or names no new place would make a laptop ask for ever.
    if pulled.ops.iter().any(|s| s.seq <= after) || (!pulled.ops.is_empty() && pulled.next <= after)
    {
        return Err(failed(
            &url,
            format!("the hub answered with operations at or before {after}, which was asked past"),
        ));
    }
    Ok(pulled)
}

/// How often a request the hub answered "too many requests" is asked again, and the longest wait
/// before each.
const RETRIES: u32 = 3;
const LONGEST_WAIT: Duration = Duration::from_secs(10);

/// Sends `request` and reads the hub's answer, up to `max` bytes; a refusal in the hub's words.
/// A 429 is asked again after the hub's `Retry-After` (at most [`RETRIES`] times, each wait at
/// most [`LONGEST_WAIT`]): a busy hub is waited for, one that keeps refusing is reported.
fn answer(
    url: &str,
    request: reqwest::blocking::RequestBuilder,
    max: u64,
) -> Result<String, Failed> {
    let mut tries = 0;
    let mut request = Some(request);
    let response = loop {
        let Some(this) = request.take() else {
            return Err(failed(url, "the request could not be repeated"));
        };
        let again = this.try_clone();
        let response = this.send().map_err(|e| failed(url, describe(&e)))?;
        if response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS
            || tries >= RETRIES
            || again.is_none()
        {
            break response;
        }
        tries += 1;
        let wait = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(Duration::from_secs(1), Duration::from_secs)
            .min(LONGEST_WAIT);
        std::thread::sleep(wait);
        request = again;
    };
    let status = response.status();
    let mut body = String::new();
    response
        .take(max)
        .read_to_string(&mut body)
        .map_err(|e| failed(url, format!("reading the hub's answer failed: {e}")))?;
    if !status.is_success() {
        let said = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(String::from))
            .unwrap_or(body);
        return Err(failed(url, format!("the hub refused ({status}): {said}")));
    }
    Ok(body)
}

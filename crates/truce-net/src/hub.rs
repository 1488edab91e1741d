//! The laptop's client of a team hub (`truce-hub`): pushing operations and pulling everyone's.
//! A refusal comes as `{code, message}` and is reported in the hub's words. Snapshots (a packed
//! workspace a new laptop joins from) go up and come down as streams, never whole in memory.

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

/// How long a snapshot may take to go up or come down: a few hundred MiB over a slow office link.
const SNAPSHOT_LIMIT: Duration = Duration::from_secs(3600);

/// What the hub says of the snapshot it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// It holds the operations numbered up to `seq`.
    pub seq: i64,
    /// The version of the workspace inside.
    pub format: i64,
    pub bytes: u64,
}

/// Gives the hub at `base` the snapshot in `file` (a packed workspace holding the operations up
/// to `seq`, of version `format`), as the admin's device `token` names.
pub fn put_snapshot(
    base: &str,
    token: &str,
    workspace: &str,
    seq: i64,
    format: i64,
    file: &std::path::Path,
) -> Result<(), Failed> {
    let url = format!(
        "{}/v1/workspaces/{workspace}/snapshot?seq={seq}&format={format}",
        base.trim().trim_end_matches('/')
    );
    let opened = std::fs::File::open(file)
        .and_then(|f| Ok((f.metadata()?.len(), f)))
        .map_err(|e| failed(&url, format!("cannot read {}: {e}", file.display())))?;
    let (len, f) = opened;
    let request = client(&url, SNAPSHOT_LIMIT)?
        .put(&url)
        .bearer_auth(token)
        .timeout(SNAPSHOT_LIMIT)
        .header(reqwest::header::CONTENT_TYPE, "application/zstd")
        .body(reqwest::blocking::Body::sized(f, len));
    answer(&url, request, MAX_ANSWER).map(|_| ())
}

/// Writes the latest snapshot the hub at `base` holds into `into`, checking its length and
/// SHA-256 on the way; `None` when the hub has none (the laptop pulls every operation instead).
pub fn get_snapshot(
    base: &str,
    token: &str,
    workspace: &str,
    into: &mut dyn std::io::Write,
) -> Result<Option<Snapshot>, Failed> {
    use sha2::{Digest, Sha256};
    let url = format!(
        "{}/v1/workspaces/{workspace}/snapshot",
        base.trim().trim_end_matches('/')
    );
    let request = client(&url, SNAPSHOT_LIMIT)?
        .get(&url)
        .bearer_auth(token)
        .timeout(SNAPSHOT_LIMIT);
    let response = request.send().map_err(|e| failed(&url, describe(&e)))?;
    let status = response.status();
    if !status.is_success() {
        let mut body = String::new();
        let _ = response.take(MAX_ANSWER).read_to_string(&mut body);
        let said: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        if status == reqwest::StatusCode::NOT_FOUND && said["code"] == "no_snapshot" {
            return Ok(None);
        }
        let said = said["message"].as_str().map(String::from).unwrap_or(body);
        return Err(failed(&url, format!("the hub refused ({status}): {said}")));
    }
    let number = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<i64>().ok())
            .ok_or_else(|| failed(&url, format!("the hub's snapshot has no {name}")))
    };
    let (seq, format) = (number("x-truce-seq")?, number("x-truce-format")?);
    let bytes = number("content-length")? as u64;
    let sha256 = response
        .headers()
        .get("x-truce-sha256")
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| failed(&url, "the hub's snapshot has no x-truce-sha256"))?;
    let mut hasher = Sha256::new();
    let mut reader = response.take(bytes);
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| {
            failed(
                &url,
                format!("the snapshot broke off after {got} bytes: {e}"),
            )
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        into.write_all(&buf[..n])
            .map_err(|e| failed(&url, format!("cannot keep the snapshot: {e}")))?;
        got += n as u64;
    }
    if got != bytes {
        return Err(failed(
            &url,
            format!("the snapshot broke off after {got} of {bytes} bytes"),
        ));
    }
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if digest != sha256 {
        return Err(failed(
            &url,
            "the snapshot that came is not the one the hub announced (SHA-256 differs)",
        ));
    }
    Ok(Some(Snapshot { seq, format, bytes }))
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

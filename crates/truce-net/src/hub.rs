//! The laptop's client of a team hub (`truce-hub`): pushing operations. The hub's answers are
//! small; a refusal comes as `{code, message}` and is reported in the hub's words.

use std::io::Read;

use truce_sync::{Op, Pushed};

use crate::{client, describe, failed, Failed, TRANSFER_LIMIT};

/// The largest answer read from a hub: a push's answer is a few bytes.
const MAX_ANSWER: u64 = 1 << 20;

/// Sends `ops` of `workspace` to the hub at `base` (its address, e.g. `https://hub.example:7878`),
/// as the device `token` names. The token goes in a header and is never part of an error.
pub fn push(base: &str, token: &str, workspace: &str, ops: &[Op]) -> Result<Pushed, Failed> {
    let url = format!(
        "{}/v1/workspaces/{workspace}/ops",
        base.trim().trim_end_matches('/')
    );
    let response = client(&url, TRANSFER_LIMIT)?
        .post(&url)
        .bearer_auth(token)
        .json(&serde_json::json!({ "ops": ops }))
        .send()
        .map_err(|e| failed(&url, describe(&e)))?;
    let status = response.status();
    let mut body = String::new();
    response
        .take(MAX_ANSWER)
        .read_to_string(&mut body)
        .map_err(|e| failed(&url, format!("reading the hub's answer failed: {e}")))?;
    if !status.is_success() {
        let said = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(String::from))
            .unwrap_or(body);
        return Err(failed(&url, format!("the hub refused ({status}): {said}")));
    }
    serde_json::from_str(&body)
        .map_err(|e| failed(&url, format!("the hub's answer is not a push report: {e}")))
}

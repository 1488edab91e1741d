//! Tenable Vulnerability Management's vulnerability export (`X-ApiKeys` header): `POST
//! /vulns/export` with filters, then `GET /vulns/export/{uuid}/status` until chunks are available,
//! and `GET /vulns/export/{uuid}/chunks/{id}` for each (they finish in any order). The export asks
//! for FIXED as well as OPEN and REOPENED explicitly: without a state filter Tenable leaves fixed
//! vulnerabilities out, and a sync that never sees a fix never closes anything. What the chunks
//! mean is the `tenable-vm` format's (truce-parsers); this module only moves bytes.

use std::time::Instant;

use serde::Deserialize;
use serde_json::json;

use super::{ask, block, client, Patience, Step};
use crate::{failed, Failed};

const MAX_STATUS: usize = 4 << 20;

/// A Tenable account: its address (`https://cloud.tenable.com`) and API keys.
pub struct Account<'a> {
    pub base: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
    /// A tag (`category=value`): only its assets' vulnerabilities are exported.
    pub tag: Option<&'a str>,
}

impl Account<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim().trim_end_matches('/'))
    }

    fn keys(&self) -> String {
        format!(
            "accessKey={};secretKey={}",
            self.access_key.trim(),
            self.secret_key.trim()
        )
    }
}

/// How an export's reading ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// Every chunk was handed over.
    Finished,
    /// Tenable no longer knows the export (expired after 24 hours, or never made): start anew.
    Gone,
}

/// A refusal in words a person can act on; the keys are never part of it.
fn refused(url: &str, status: reqwest::StatusCode, said: &[u8]) -> Failed {
    let said = serde_json::from_slice::<serde_json::Value>(said)
        .ok()
        .and_then(|v| {
            v["message"]
                .as_str()
                .or(v["error"].as_str())
                .map(String::from)
        });
    let why = match status.as_u16() {
        401 => "the access key or secret key is not accepted (401): check the keys".to_string(),
        403 => "the keys' user may not export vulnerabilities (403): it needs the Basic role or the VM export privilege, and Can View on the assets".to_string(),
        409 => "an export with these filters is already running at Tenable (409)".to_string(),
        _ => format!("the server answered {status}"),
    };
    failed(
        url,
        match said {
            Some(s) if !s.is_empty() => format!("{why}: {s}"),
            _ => why,
        },
    )
}

/// Checks that the account answers and the keys may read exports (lists recent export jobs).
pub fn check(account: &Account, patience: &Patience) -> Result<(), Failed> {
    let url = account.url("/vulns/export/status");
    block(&url, patience, async {
        let http = client(&url, patience)?;
        let until = Instant::now() + patience.request * 2;
        let (status, said) = ask(
            &url,
            &|| http.get(&url).header("X-ApiKeys", account.keys()),
            patience,
            until,
            &|_| {},
            MAX_STATUS,
        )
        .await?;
        if !status.is_success() {
            return Err(refused(&url, status, &said));
        }
        Ok(())
    })
}

/// Starts an export of the vulnerabilities that changed since `since` (Unix seconds: seen since,
/// for open ones; fixed since, for fixed ones), `num_assets` assets a chunk; answers its uuid.
pub fn start(
    account: &Account,
    since: i64,
    num_assets: u32,
    patience: &Patience,
) -> Result<String, Failed> {
    let url = account.url("/vulns/export");
    let mut request = json!({
        "num_assets": num_assets.clamp(50, 5000),
        "filters": { "since": since, "state": ["OPEN", "REOPENED", "FIXED"] },
    });
    if let Some((category, value)) = account.tag.and_then(|t| t.split_once('=')) {
        request["filters"][format!("tag.{}", category.trim())] = json!([value.trim()]);
    }
    block(&url, patience, async {
        let http = client(&url, patience)?;
        let until = Instant::now() + patience.request * 4;
        let (status, said) = ask(
            &url,
            &|| {
                http.post(&url)
                    .header("X-ApiKeys", account.keys())
                    .json(&request)
            },
            patience,
            until,
            &|_| {},
            MAX_STATUS,
        )
        .await?;
        if !status.is_success() {
            return Err(refused(&url, status, &said));
        }
        #[derive(Deserialize)]
        struct Started {
            export_uuid: String,
        }
        let started: Started = serde_json::from_slice(&said)
            .map_err(|e| failed(&url, format!("the answer has no export_uuid: {e}")))?;
        if started.export_uuid.trim().is_empty() || started.export_uuid.len() > 100 {
            return Err(failed(
                &url,
                "the answer's export_uuid is empty or too long",
            ));
        }
        Ok(started.export_uuid)
    })
}

#[derive(Deserialize)]
struct Status {
    status: String,
    #[serde(default)]
    chunks_available: Vec<u32>,
    #[serde(default)]
    chunks_failed: Vec<u32>,
    #[serde(default)]
    reason: Option<String>,
}

/// Reads export `uuid`: hands each available chunk not in `done` to `chunk` (its id and bytes),
/// as soon as Tenable has it, until the export is finished. `chunk` returning an error stops
/// the reading with it.
pub fn read(
    account: &Account,
    uuid: &str,
    done: &[u32],
    patience: &Patience,
    step: &dyn Fn(Step),
    chunk: &mut dyn FnMut(u32, Vec<u8>) -> Result<(), String>,
) -> Result<Read, Failed> {
    let status_url = account.url(&format!("/vulns/export/{uuid}/status"));
    block(&status_url, patience, async {
        let http = client(&status_url, patience)?;
        let until = Instant::now() + patience.deadline;
        let mut handed: Vec<u32> = done.to_vec();
        let mut pause = patience.poll;
        loop {
            let (code, said) = ask(
                &status_url,
                &|| http.get(&status_url).header("X-ApiKeys", account.keys()),
                patience,
                until,
                step,
                MAX_STATUS,
            )
            .await?;
            if code == reqwest::StatusCode::NOT_FOUND {
                return Ok(Read::Gone);
            }
            if !code.is_success() {
                return Err(refused(&status_url, code, &said));
            }
            let status: Status = serde_json::from_slice(&said).map_err(|e| {
                failed(
                    &status_url,
                    format!("the export's status is not what Tenable documents: {e}"),
                )
            })?;
            let fresh: Vec<u32> = status
                .chunks_available
                .iter()
                .copied()
                .filter(|c| !handed.contains(c))
                .collect();
            step(Step::Preparing {
                status: status.status.clone(),
                ready: status.chunks_available.len(),
            });
            for id in fresh {
                let url = account.url(&format!("/vulns/export/{uuid}/chunks/{id}"));
                let (code, bytes) = ask(
                    &url,
                    &|| http.get(&url).header("X-ApiKeys", account.keys()),
                    patience,
                    until,
                    step,
                    patience.max_page,
                )
                .await?;
                if code == reqwest::StatusCode::NOT_FOUND {
                    return Ok(Read::Gone);
                }
                if !code.is_success() {
                    return Err(refused(&url, code, &bytes));
                }
                chunk(id, bytes).map_err(|problem| failed(&url, problem))?;
                handed.push(id);
                step(Step::Chunk {
                    id,
                    done: handed.len(),
                });
                pause = patience.poll;
            }
            match status.status.as_str() {
                "FINISHED" if !status.chunks_failed.is_empty() => {
                    return Err(failed(
                        &status_url,
                        format!(
                            "Tenable could not make {} of the export's chunks ({}); the next sync asks again for this window",
                            status.chunks_failed.len(),
                            status.reason.unwrap_or_default()
                        ),
                    ))
                }
                "FINISHED" => {
                    // Chunks that became available with the last status are read above.
                    if status.chunks_available.iter().all(|c| handed.contains(c)) {
                        return Ok(Read::Finished);
                    }
                }
                "QUEUED" | "PROCESSING" => {}
                "CANCELLED" | "ERROR" => {
                    return Err(failed(
                        &status_url,
                        format!(
                            "Tenable ended the export: {} {}",
                            status.status,
                            status.reason.unwrap_or_default()
                        ),
                    ))
                }
                other => {
                    return Err(failed(
                        &status_url,
                        format!("the export's status '{other}' is none Tenable documents"),
                    ))
                }
            }
            if Instant::now() + pause > until {
                return Err(failed(
                    &status_url,
                    "the export was not finished before the sync's deadline",
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 3 / 2).min(
                patience
                    .longest_wait
                    .min(std::time::Duration::from_secs(30)),
            );
        }
    })
}

//! Tenable Security Center's analysis API (`x-apikey: accesskey=…; secretkey=…;`): `POST
//! /rest/analysis` with the `vulndetails` tool, paged by `startOffset` and `endOffset`. Two
//! questions a sync: `cumulative` (what is vulnerable now, seen in the window, by `lastSeen`) and
//! `patched` (what was mitigated in the window, by `lastMitigated`). SC answers errors in an
//! envelope (`error_code`, `error_msg`), often under 403 and sometimes under 200. A page is handed
//! over as `{"tenable_sc": {"sourceType": …, "results": [...]}}`, read by the `tenable-sc` format
//! (truce-parsers): this module moves bytes and reads only the paging.

use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{ask, block, client, Patience, Step};
use crate::{failed, Failed};

/// Results a page (the size Tenable's own integrations use).
pub const PAGE_SIZE: u64 = 1000;

/// A Security Center: its address (`https://sc.example.com`) and API keys.
pub struct Account<'a> {
    pub base: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
    /// Repository ids ("1,3"): only their results are read.
    pub repositories: Option<&'a str>,
}

impl Account<'_> {
    fn url(&self) -> String {
        format!("{}/rest/analysis", self.base.trim().trim_end_matches('/'))
    }

    fn keys(&self) -> String {
        format!(
            "accesskey={}; secretkey={};",
            self.access_key.trim(),
            self.secret_key.trim()
        )
    }
}

/// The two questions of a sync, in order.
pub const QUESTIONS: [(&str, &str); 2] = [("cumulative", "lastSeen"), ("patched", "lastMitigated")];

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    response: Value,
    #[serde(default)]
    error_code: i64,
    #[serde(default)]
    error_msg: String,
}

/// SC's error envelope (or the HTTP status) in words a person can act on; never the keys.
fn refused(url: &str, status: reqwest::StatusCode, code: i64, msg: &str) -> Failed {
    let why = match (status.as_u16(), code) {
        (401, _) | (_, 12) => "the access key or secret key is not accepted: check them (API keys need Security Center 5.13 or later)".to_string(),
        (400, 0) => "Security Center refused the keys (400): API keys may be disabled on this Security Center".to_string(),
        (403, 146) => "Security Center refused the question (146): the keys' user may lack access to the repositories, or the filter is not understood".to_string(),
        (s, 0) => format!("the server answered {s}"),
        (_, c) => format!("Security Center answered error {c}"),
    };
    let msg: String = msg.chars().take(300).collect();
    failed(
        url,
        if msg.trim().is_empty() {
            why
        } else {
            format!("{why}: {}", msg.trim())
        },
    )
}

/// A number SC writes as a number or as text.
fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Asks one page: answers its results, and how many there are in all (when SC says).
#[allow(clippy::too_many_arguments)]
async fn ask_page(
    account: &Account<'_>,
    http: &reqwest::Client,
    source_type: &str,
    filter: Option<(&str, String)>,
    offset: u64,
    size: u64,
    patience: &Patience,
    until: Instant,
    step: &dyn Fn(Step),
) -> Result<(Vec<Value>, Option<u64>), Failed> {
    let url = account.url();
    let mut filters: Vec<Value> = filter
        .into_iter()
        .map(|(name, value)| json!({"filterName": name, "operator": "=", "value": value}))
        .collect();
    if let Some(r) = account.repositories {
        let ids: Vec<Value> = r.split(',').map(|id| json!({"id": id.trim()})).collect();
        filters.push(json!({"filterName": "repository", "operator": "=", "value": ids}));
    }
    // Offsets both in the query (as pyTenable sends them) and at the top (as the docs say).
    let body = json!({
        "type": "vuln",
        "sourceType": source_type,
        "query": {
            "type": "vuln", "tool": "vulndetails", "filters": filters,
            "startOffset": offset, "endOffset": offset + size,
        },
        "startOffset": offset,
        "endOffset": offset + size,
    });
    let (status, said) = ask(
        &url,
        &|| {
            http.post(&url)
                .header("x-apikey", account.keys())
                .json(&body)
        },
        patience,
        until,
        step,
        patience.max_page,
    )
    .await?;
    let envelope: Option<Envelope> = serde_json::from_slice(&said).ok();
    match &envelope {
        Some(e) if e.error_code != 0 || !status.is_success() => {
            return Err(refused(&url, status, e.error_code, &e.error_msg))
        }
        None if !status.is_success() => return Err(refused(&url, status, 0, "")),
        None => {
            return Err(failed(
                &url,
                "the answer is not Security Center's JSON (is this the Security Center's address?)",
            ))
        }
        Some(_) => {}
    }
    let response = envelope.map(|e| e.response).unwrap_or_default();
    let results = response["results"].as_array().cloned().ok_or_else(|| {
        failed(
            &url,
            "the answer has no results: not Security Center's analysis",
        )
    })?;
    Ok((results, number(&response["totalRecords"])))
}

/// Checks that the Security Center answers, takes the keys and lets them analyse vulnerabilities.
pub fn check(account: &Account, patience: &Patience) -> Result<(), Failed> {
    let url = account.url();
    block(&url, patience, async {
        let http = client(&url, patience)?;
        let until = Instant::now() + patience.request * 2;
        ask_page(
            account,
            &http,
            "cumulative",
            None,
            0,
            1,
            patience,
            until,
            &|_| {},
        )
        .await?;
        Ok(())
    })
}

/// One page as read: which question, where it started, how many results, and its bytes.
pub struct Page {
    pub question: usize,
    pub offset: u64,
    pub results: u64,
    pub bytes: Vec<u8>,
}

/// Reads both questions for the window `from..to` (Unix seconds; `from` none: everything),
/// starting at question `question`, offset `offset` (where a killed sync stopped), handing each
/// page to `page`; `page` returning an error stops the reading.
pub fn read(
    account: &Account,
    window: (Option<i64>, i64),
    start: (usize, u64),
    patience: &Patience,
    step: &dyn Fn(Step),
    page: &mut dyn FnMut(Page) -> Result<(), String>,
) -> Result<(), Failed> {
    let url = account.url();
    block(&url, patience, async {
        let http = client(&url, patience)?;
        let until = Instant::now() + patience.deadline;
        let mut pages = 0u32;
        for (q, (source_type, filter_name)) in QUESTIONS.iter().enumerate().skip(start.0) {
            let mut offset = if q == start.0 { start.1 } else { 0 };
            let filter = match window {
                (Some(from), to) => Some((*filter_name, format!("{from}-{to}"))),
                // Everything: all that is vulnerable now; all ever mitigated.
                (None, to) if *source_type == "patched" => Some((*filter_name, format!("0-{to}"))),
                (None, _) => None,
            };
            loop {
                let (results, total) = ask_page(
                    account,
                    &http,
                    source_type,
                    filter.clone(),
                    offset,
                    PAGE_SIZE,
                    patience,
                    until,
                    step,
                )
                .await?;
                let n = results.len() as u64;
                let bytes = serde_json::to_vec(&json!({
                    "tenable_sc": {"sourceType": source_type, "results": results}
                }))
                .expect("a page serializes");
                page(Page {
                    question: q,
                    offset,
                    results: n,
                    bytes,
                })
                .map_err(|problem| failed(&url, problem))?;
                pages += 1;
                step(Step::Chunk {
                    id: pages,
                    done: pages as usize,
                });
                offset += n;
                // The total says when it ends; without one (SC does not always give it), a short
                // page does. An empty page always does: nothing can follow it.
                if n == 0 || total.map_or(n < PAGE_SIZE, |t| offset >= t) {
                    break;
                }
            }
        }
        Ok(())
    })
}

//! DefectDojo's API v2 (`Authorization: Token …`): `GET /api/v2/findings/`, paged by `limit` and
//! `offset`. It has no "updated since" filter (only an exact match on `last_status_update`), so
//! the findings are asked for newest status change first (`o=-last_status_update,id`) and the
//! caller stops once a page reaches what the last sync saw. A change made while the pages are
//! read moves its finding to the front: the offsets then show some findings twice, never skip one.
//! Duplicates are left out (DefectDojo keeps the original open). What the pages mean is the
//! `defectdojo` format's (truce-parsers); this module moves bytes and reads only the paging.

use std::time::Instant;

use serde::Deserialize;

use super::{ask, block, client, escape, Patience, Step};
use crate::{failed, Failed};

const MAX_SMALL: usize = 4 << 20;

/// Findings a page: DefectDojo Pro answers 502 above 250.
pub const PAGE_SIZE: u32 = 250;

/// A DefectDojo instance: its address (`https://defectdojo.example.com`) and an API token.
pub struct Account<'a> {
    pub base: &'a str,
    pub token: &'a str,
    /// A product's name: only its findings are read.
    pub product: Option<&'a str>,
}

impl Account<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim().trim_end_matches('/'))
    }

    fn token(&self) -> String {
        format!("Token {}", self.token.trim())
    }
}

/// A refusal in words a person can act on; the token is never part of it.
fn refused(url: &str, status: reqwest::StatusCode, said: &[u8]) -> Failed {
    let said = serde_json::from_slice::<serde_json::Value>(said)
        .ok()
        .and_then(|v| {
            v["detail"]
                .as_str()
                .or(v["message"].as_str())
                .map(|s| s.chars().take(300).collect::<String>())
        });
    let why = match (status.as_u16(), said.as_deref()) {
        // DefectDojo answers 403, not 401, for a token it does not know (its first
        // authentication class sends no challenge).
        (401, _) | (403, Some("Invalid token." | "Authentication credentials were not provided.")) => {
            "the API token is not accepted: check it (DefectDojo shows it under API v2 Key)".to_string()
        }
        (403, _) => "the token's user may not view findings (403): give it the Reader role on the products to sync".to_string(),
        (404, _) => "there is no DefectDojo API v2 here (404): check the address (the instance's own, without /api/v2)".to_string(),
        _ => format!("the server answered {status}"),
    };
    failed(
        url,
        match said {
            Some(s) if !s.is_empty() && !why.contains(&s) => format!("{why}: {s}"),
            _ => why,
        },
    )
}

/// Checks that the instance answers, takes the token and lets it read findings.
pub fn check(account: &Account, patience: &Patience) -> Result<(), Failed> {
    let url = account.url("/api/v2/findings/?limit=1");
    block(&url, patience, async {
        let http = client(&url, patience)?;
        let until = Instant::now() + patience.request * 2;
        let (status, said) = ask(
            &url,
            &|| {
                http.get(&url)
                    .header("Authorization", account.token())
                    .header("Accept", "application/json")
            },
            patience,
            until,
            &|_| {},
            MAX_SMALL,
        )
        .await?;
        if !status.is_success() {
            return Err(refused(&url, status, &said));
        }
        serde_json::from_slice::<Envelope>(&said).map_err(|e| {
            failed(
                &url,
                format!("the answer is not DefectDojo's list of findings: {e}"),
            )
        })?;
        Ok(())
    })
}

/// The paging of a page of findings (the findings themselves are the format's to read).
#[derive(Deserialize)]
struct Envelope {
    count: u64,
    #[serde(default)]
    next: Option<String>,
    results: Vec<Stamp>,
}

#[derive(Deserialize)]
struct Stamp {
    #[serde(default)]
    last_status_update: Option<String>,
}

/// One page as read: where the next starts, its bytes, and the status changes at its two ends.
pub struct Page {
    /// The offset of this page's first finding.
    pub offset: u64,
    /// How many findings it holds.
    pub findings: u64,
    /// Whether DefectDojo has more after it.
    pub more: bool,
    /// The `last_status_update` of its first finding (the newest) and of its last (the oldest).
    pub newest: Option<String>,
    pub oldest: Option<String>,
    pub bytes: Vec<u8>,
}

/// Reads the findings from `offset` on, newest status change first, handing each page to `page`
/// until it answers false or there are no more. `page` returning an error stops the reading.
pub fn read(
    account: &Account,
    offset: u64,
    patience: &Patience,
    step: &dyn Fn(Step),
    page: &mut dyn FnMut(Page) -> Result<bool, String>,
) -> Result<(), Failed> {
    let first = account.url("/api/v2/findings/");
    block(&first, patience, async {
        let http = client(&first, patience)?;
        let until = Instant::now() + patience.deadline;
        let mut offset = offset;
        let mut pages = 0u32;
        loop {
            let mut url = account.url(&format!(
                "/api/v2/findings/?limit={PAGE_SIZE}&offset={offset}&o=-last_status_update,id&duplicate=false&prefetch=endpoints&related_fields=true"
            ));
            if let Some(p) = account.product {
                url.push_str(&format!("&product_name={}", escape(p)));
            }
            let (status, bytes) = ask(
                &url,
                &|| {
                    http.get(&url)
                        .header("Authorization", account.token())
                        .header("Accept", "application/json")
                },
                patience,
                until,
                step,
                patience.max_page,
            )
            .await?;
            if !status.is_success() {
                return Err(refused(&url, status, &bytes));
            }
            let envelope: Envelope = serde_json::from_slice(&bytes).map_err(|e| {
                failed(
                    &url,
                    format!("the page is not DefectDojo's list of findings: {e}"),
                )
            })?;
            let findings = envelope.results.len() as u64;
            // A page that is empty while more are announced would loop for ever.
            let more =
                envelope.next.is_some() && findings > 0 && offset + findings < envelope.count;
            let go_on = page(Page {
                offset,
                findings,
                more,
                newest: envelope
                    .results
                    .first()
                    .and_then(|r| r.last_status_update.clone()),
                oldest: envelope
                    .results
                    .last()
                    .and_then(|r| r.last_status_update.clone()),
                bytes,
            })
            .map_err(|problem| failed(&url, problem))?;
            pages += 1;
            step(Step::Chunk {
                id: pages,
                done: pages as usize,
            });
            if !go_on || !more {
                return Ok(());
            }
            offset += findings;
        }
    })
}

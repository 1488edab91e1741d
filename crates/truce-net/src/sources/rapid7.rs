//! Rapid7 InsightVM's API v3 (the security console's `https://<console>:3780/api/3/`, basic
//! auth): the assets, page by page (`page`, `size`, sorted by id so that pages do not shift), each
//! asset's vulnerability findings (paged too), and each vulnerability's definition (title,
//! severity, CVSS, CVEs), asked once per sync. InsightVM has no "changed since": every sync reads
//! every asset, and a page of whole assets lets the import close, on those assets, what InsightVM
//! no longer reports. A page is handed over as one JSON document (`{"insightvm": {"assets": [...],
//! "vulnerabilities": {...}}}`), read by the `rapid7-insightvm` format (truce-parsers).

use std::collections::HashMap;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};

use super::{ask, block, client, escape, Patience, Step};
use crate::{failed, Failed};

const MAX_SMALL: usize = 16 << 20;
/// Assets a page, and findings a page of one asset's (InsightVM's largest page is 500).
pub const ASSETS_PER_PAGE: u32 = 100;
const FINDINGS_PER_PAGE: u32 = 500;

/// An InsightVM console: its address (`https://insightvm.example.com:3780`), user and password.
pub struct Account<'a> {
    pub base: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    /// A site's id: only its assets are read.
    pub site: Option<&'a str>,
}

impl Account<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim().trim_end_matches('/'))
    }

    /// The assets' collection: the site's, or every asset the user may see.
    fn assets(&self) -> String {
        match self.site {
            Some(site) => self.url(&format!("/api/3/sites/{}/assets", escape(site))),
            None => self.url("/api/3/assets"),
        }
    }

    fn get(&self, http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
        http.get(url)
            .basic_auth(self.user.trim(), Some(self.password))
            .header("Accept", "application/json")
    }
}

/// A refusal in words a person can act on (InsightVM's own `message`), never the password.
fn refused(url: &str, status: reqwest::StatusCode, said: &[u8]) -> Failed {
    let said = serde_json::from_slice::<Value>(said).ok().and_then(|v| {
        v["message"]
            .as_str()
            .map(|s| s.chars().take(300).collect::<String>())
    });
    let why = match status.as_u16() {
        401 => "the user name or password is not accepted (401)".to_string(),
        // InsightVM answers 404, not 403, to a user who may not see a resource.
        403 | 404 => format!("nothing to read here ({}): check the console's address and port (3780 by default), and that the user may view the sites' asset data", status.as_u16()),
        _ => format!("the server answered {status}"),
    };
    failed(
        url,
        match said {
            Some(s) if !s.is_empty() && s != "An error has occurred." => format!("{why}: {s}"),
            _ => why,
        },
    )
}

#[derive(Deserialize)]
struct PageInfo {
    #[serde(rename = "totalPages", default)]
    total_pages: u32,
}

#[derive(Deserialize)]
struct Resources {
    #[serde(default)]
    resources: Vec<Value>,
    #[serde(default)]
    page: Option<PageInfo>,
}

/// GETs `url` and reads it as a page of resources.
async fn resources(
    account: &Account<'_>,
    http: &reqwest::Client,
    url: &str,
    patience: &Patience,
    until: Instant,
    step: &dyn Fn(Step),
    what: &str,
) -> Result<(Vec<Value>, u32), Failed> {
    let (status, body) = ask(
        url,
        &|| account.get(http, url),
        patience,
        until,
        step,
        patience.max_page.min(MAX_SMALL * 16),
    )
    .await?;
    if !status.is_success() {
        return Err(refused(url, status, &body));
    }
    let r: Resources = serde_json::from_slice(&body).map_err(|e| {
        failed(
            url,
            format!("the answer is not InsightVM's page of {what}: {e}"),
        )
    })?;
    Ok((r.resources, r.page.map_or(1, |p| p.total_pages)))
}

/// Checks that the console answers, takes the credentials and lets the user list assets.
pub fn check(account: &Account, patience: &Patience) -> Result<(), Failed> {
    let url = format!("{}?page=0&size=1", account.assets());
    block(&url, patience, async {
        let http = client(&url, patience)?;
        let until = Instant::now() + patience.request * 2;
        resources(account, &http, &url, patience, until, &|_| {}, "assets").await?;
        Ok(())
    })
}

/// One page as read: its number, how many pages there are, and the document the format reads.
pub struct Page {
    pub number: u32,
    pub pages: u32,
    pub assets: usize,
    pub bytes: Vec<u8>,
}

/// Reads the assets from page `from` on, handing each page (whole assets, all their findings,
/// and the definitions they name) to `page`; `page` returning an error stops the reading.
pub fn read(
    account: &Account,
    from: u32,
    patience: &Patience,
    step: &dyn Fn(Step),
    page: &mut dyn FnMut(Page) -> Result<(), String>,
) -> Result<(), Failed> {
    let first = account.assets();
    block(&first, patience, async {
        let http = client(&first, patience)?;
        let until = Instant::now() + patience.deadline;
        let mut known: HashMap<String, Value> = HashMap::new();
        let mut number = from;
        loop {
            let url = format!(
                "{}?page={number}&size={ASSETS_PER_PAGE}&sort=id,ASC",
                account.assets()
            );
            let (assets, pages) =
                resources(account, &http, &url, patience, until, step, "assets").await?;
            let mut out = Vec::with_capacity(assets.len());
            let mut definitions = serde_json::Map::new();
            for asset in assets {
                let id = asset["id"].as_i64().ok_or_else(|| {
                    failed(
                        &url,
                        "an asset without a numeric id: not InsightVM's answer",
                    )
                })?;
                let mut findings = Vec::new();
                let mut p = 0;
                loop {
                    let vurl = account.url(&format!(
                        "/api/3/assets/{id}/vulnerabilities?page={p}&size={FINDINGS_PER_PAGE}"
                    ));
                    let (found, total) = resources(
                        account,
                        &http,
                        &vurl,
                        patience,
                        until,
                        step,
                        "vulnerabilities",
                    )
                    .await?;
                    findings.extend(found);
                    p += 1;
                    if p >= total {
                        break;
                    }
                }
                for f in &findings {
                    let Some(vid) = f["id"].as_str() else {
                        return Err(failed(
                            &url,
                            format!("a finding of asset {id} without its vulnerability id"),
                        ));
                    };
                    if !known.contains_key(vid) {
                        let durl = account.url(&format!("/api/3/vulnerabilities/{}", escape(vid)));
                        let (status, body) = ask(
                            &durl,
                            &|| account.get(&http, &durl),
                            patience,
                            until,
                            step,
                            MAX_SMALL,
                        )
                        .await?;
                        let definition = match status.as_u16() {
                            200..=299 => serde_json::from_slice(&body).map_err(|e| {
                                failed(
                                    &durl,
                                    format!("the answer is not InsightVM's vulnerability: {e}"),
                                )
                            })?,
                            // A definition InsightVM no longer has: the finding keeps its id.
                            404 => Value::Null,
                            _ => return Err(refused(&durl, status, &body)),
                        };
                        known.insert(vid.to_string(), definition);
                    }
                    if let Some(d) = known.get(vid).filter(|d| !d.is_null()) {
                        definitions.insert(vid.to_string(), d.clone());
                    }
                }
                out.push(json!({ "asset": asset, "findings": findings }));
            }
            let count = out.len();
            let bytes = serde_json::to_vec(&json!({
                "insightvm": { "assets": out, "vulnerabilities": definitions }
            }))
            .expect("a page serializes");
            page(Page {
                number,
                pages,
                assets: count,
                bytes,
            })
            .map_err(|problem| failed(&url, problem))?;
            step(Step::Chunk {
                id: number + 1,
                done: (number + 1 - from) as usize,
            });
            number += 1;
            if number >= pages || count == 0 {
                return Ok(());
            }
        }
    })
}

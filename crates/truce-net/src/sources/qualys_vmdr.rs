//! Qualys VMDR's Host List Detection API (`/api/2.0/fo/asset/host/vm/detection/?action=list`):
//! basic auth and the `X-Requested-With` header every v2 call needs; XML. Fixed detections are
//! asked for explicitly (without `status` Qualys leaves them out); a truncated answer ends with a
//! WARNING (code 1980) whose URL is the next page, followed until there is none (only on the
//! account's own address: the credentials go nowhere else). The detections name vulnerabilities
//! by QID: their titles and CVEs come from the KnowledgeBase (`/api/2.0/fo/knowledge_base/vuln/`),
//! asked once per QID in a sync. Qualys says "slow down" with 409 and `X-RateLimit-ToWait-Sec`,
//! and an error with a `SIMPLE_RETURN`, sometimes under 200. What the pages mean is the
//! `qualys-detections` format's (truce-parsers): this module moves bytes, reading only the paging.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::{ask_waiting, block, client, Patience, Step};
use crate::{failed, Failed};

const MAX_SMALL: usize = 16 << 20;
const DETECTIONS: &str = "/api/2.0/fo/asset/host/vm/detection/";
const KNOWLEDGE_BASE: &str = "/api/2.0/fo/knowledge_base/vuln/";
/// Hosts a page: Qualys's own default.
pub const HOSTS_PER_PAGE: u32 = 1000;
/// QIDs asked of the KnowledgeBase in one call.
const QIDS_PER_CALL: usize = 500;

/// A Qualys subscription: its API address (`https://qualysapi.qualys.com`, or the platform's),
/// user name and password.
pub struct Account<'a> {
    pub base: &'a str,
    pub user: &'a str,
    pub password: &'a str,
    /// Asset group ids ("1234,5678"): only their hosts are read.
    pub asset_groups: Option<&'a str>,
}

impl Account<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.trim().trim_end_matches('/'))
    }

    fn get(&self, http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
        http.get(url)
            .basic_auth(self.user.trim(), Some(self.password))
            .header("X-Requested-With", "Truce")
    }

    /// Whether `url` is on this account's own scheme, host and port.
    fn owns(&self, url: &str) -> bool {
        super::same_origin(url, self.base)
    }
}

/// The first page of a sync: every detection (with the fixed ones), or those whose status
/// changed since `since` (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn first_page(account: &Account, since: Option<&str>) -> String {
    let mut url = account.url(&format!(
        "{DETECTIONS}?action=list&status=New,Active,Re-Opened,Fixed&show_igs=1&show_results=1&output_format=XML&truncation_limit={HOSTS_PER_PAGE}"
    ));
    if let Some(since) = since {
        url.push_str("&detection_updated_since=");
        url.push_str(since);
    }
    if let Some(groups) = account.asset_groups {
        url.push_str("&ag_ids=");
        url.push_str(groups);
    }
    url
}

/// Qualys's "slow down": 409 with how long to wait (rate limit, code 1965), or without (too many
/// calls running at once, code 1960: a few seconds).
fn qualys_wait(r: &reqwest::Response) -> Option<Duration> {
    if r.status() != reqwest::StatusCode::CONFLICT {
        return None;
    }
    let said = r
        .headers()
        .get("x-ratelimit-towait-sec")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    Some(Duration::from_secs(said.unwrap_or(0).max(2)))
}

/// The text of the first `<name>` element of `xml`, its CDATA opened and entities read.
fn text_of(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    let raw = xml[start..end].trim();
    let raw = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
        .map(String::from)
        .unwrap_or_else(|| {
            raw.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        });
    Some(raw)
}

/// Where the root element starts: after the declaration, comments and the DOCTYPE.
fn root_at(xml: &str) -> Option<usize> {
    let mut at = 0;
    while let Some(i) = xml[at..].find('<') {
        let i = at + i;
        if xml[i..].starts_with("<!--") {
            at = i + 4 + xml[i + 4..].find("-->")? + 3;
            continue;
        }
        match xml.as_bytes().get(i + 1) {
            Some(b) if b.is_ascii_alphabetic() => return Some(i),
            _ => at = i + 1,
        }
    }
    None
}

fn root_name(xml: &str) -> Option<&str> {
    let at = root_at(xml)? + 1;
    let end = at + xml[at..].find(|c: char| c == '>' || c == '/' || c.is_whitespace())?;
    Some(&xml[at..end])
}

/// A refusal in words a person can act on: Qualys's own (`SIMPLE_RETURN`'s TEXT), never the
/// password.
fn refused(url: &str, status: reqwest::StatusCode, said: &[u8]) -> Failed {
    let text = std::str::from_utf8(said)
        .ok()
        .and_then(|x| text_of(x, "TEXT"));
    let why = match status.as_u16() {
        401 => "the user name or password is not accepted (401): check them, and that the user may use the API".to_string(),
        403 => "the user may not use this API (403): it needs API access and the VM module".to_string(),
        409 => "Qualys still asks to wait (409): too many calls".to_string(),
        _ => format!("the server answered {status}"),
    };
    failed(
        url,
        match text {
            Some(t) if !t.is_empty() => {
                format!("{why}: {}", t.chars().take(300).collect::<String>())
            }
            _ => why,
        },
    )
}

/// Checks an answer is the XML expected (root `root`), not a `SIMPLE_RETURN` error (which Qualys
/// may send with 200: an expired account), and answers it as text.
fn expect<'a>(url: &str, body: &'a [u8], root: &str) -> Result<&'a str, Failed> {
    let xml = std::str::from_utf8(body)
        .map_err(|_| failed(url, "the answer is not UTF-8 text: not Qualys's XML"))?;
    match root_name(xml) {
        Some(r) if r == root => Ok(xml),
        Some("SIMPLE_RETURN") => Err(failed(
            url,
            format!(
                "Qualys answered with an error{}: {}",
                text_of(xml, "CODE")
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default(),
                text_of(xml, "TEXT").unwrap_or_else(|| "(no text)".into())
            ),
        )),
        Some(other) => Err(failed(
            url,
            format!("the answer is <{other}>, not Qualys's {root}"),
        )),
        None => Err(failed(
            url,
            format!("the answer is not XML: not Qualys's {root}"),
        )),
    }
}

/// Checks that the API answers, takes the credentials and lets the user list detections.
pub fn check(account: &Account, patience: &Patience) -> Result<(), Failed> {
    let url = account.url(&format!(
        "{DETECTIONS}?action=list&truncation_limit=1&show_results=0"
    ));
    block(&url, patience, async {
        let http = client(&url, patience)?;
        let until = Instant::now() + patience.request * 2;
        let (status, said) = ask_waiting(
            &url,
            &|| account.get(&http, &url),
            patience,
            until,
            &|_| {},
            MAX_SMALL,
            &qualys_wait,
        )
        .await?;
        if !status.is_success() {
            return Err(refused(&url, status, &said));
        }
        expect(&url, &said, "HOST_LIST_VM_DETECTION_OUTPUT")?;
        Ok(())
    })
}

/// One page as read: its address, the next one's, Qualys's time of the answer, and the bytes the
/// `qualys-detections` format reads (the KnowledgeBase's entries for its QIDs, then the hosts).
pub struct Page {
    pub url: String,
    pub next: Option<String>,
    /// `RESPONSE/DATETIME`: Qualys's clock when it answered.
    pub answered_at: Option<String>,
    pub bytes: Vec<u8>,
}

/// The QIDs a detection answer names.
fn qids(xml: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut at = 0;
    while let Some(i) = xml[at..].find("<QID>") {
        let start = at + i + 5;
        let Some(len) = xml[start..].find("</QID>") else {
            break;
        };
        let qid = xml[start..start + len].trim();
        if !qid.is_empty() && qid.bytes().all(|b| b.is_ascii_digit()) {
            out.insert(qid.to_string());
        }
        at = start + len;
    }
    out
}

/// Each `<VULN>…</VULN>` of a KnowledgeBase answer, by its QID.
fn vulns(xml: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut at = 0;
    while let Some(i) = xml[at..].find("<VULN>") {
        let start = at + i;
        let Some(len) = xml[start..].find("</VULN>") else {
            break;
        };
        let end = start + len + "</VULN>".len();
        let vuln = &xml[start..end];
        if let Some(qid) = text_of(vuln, "QID") {
            out.insert(qid, vuln.to_string());
        }
        at = end;
    }
    out
}

/// The next page's address from a truncated answer's WARNING (code 1980), if any.
fn next_page(account: &Account, url: &str, xml: &str) -> Result<Option<String>, Failed> {
    let Some(w) = xml.rfind("<WARNING>") else {
        return Ok(None);
    };
    let warning = &xml[w..];
    if text_of(warning, "CODE").as_deref() != Some("1980") {
        return Ok(None);
    }
    let Some(next) = text_of(warning, "URL") else {
        return Ok(None);
    };
    if !account.owns(&next) {
        return Err(failed(
            url,
            format!("the next page is at {next}, not at this account's address: not followed"),
        ));
    }
    if next == url {
        return Err(failed(
            url,
            "the answer names itself as the next page: not followed",
        ));
    }
    Ok(Some(next))
}

/// Reads the detections from `from` (a [`first_page`] or a page a killed sync had reached) to the
/// last page, handing each to `page`; `page` returning an error stops the reading.
pub fn read(
    account: &Account,
    from: &str,
    patience: &Patience,
    step: &dyn Fn(Step),
    page: &mut dyn FnMut(Page) -> Result<(), String>,
) -> Result<(), Failed> {
    block(from, patience, async {
        if !account.owns(from) {
            return Err(failed(from, "not this account's address: not followed"));
        }
        let http = client(from, patience)?;
        let until = Instant::now() + patience.deadline;
        let mut known: HashMap<String, String> = HashMap::new();
        let mut url = from.to_string();
        let mut pages = 0u32;
        loop {
            let (status, body) = ask_waiting(
                &url,
                &|| account.get(&http, &url),
                patience,
                until,
                step,
                patience.max_page,
                &qualys_wait,
            )
            .await?;
            if !status.is_success() {
                return Err(refused(&url, status, &body));
            }
            let xml = expect(&url, &body, "HOST_LIST_VM_DETECTION_OUTPUT")?;
            let next = next_page(account, &url, xml)?;
            let wanted = qids(xml);
            let missing: Vec<&String> = wanted.iter().filter(|q| !known.contains_key(*q)).collect();
            for batch in missing.chunks(QIDS_PER_CALL) {
                let ids: Vec<&str> = batch.iter().map(|q| q.as_str()).collect();
                let kb_url = account.url(&format!(
                    "{KNOWLEDGE_BASE}?action=list&details=All&ids={}",
                    ids.join(",")
                ));
                let (status, said) = ask_waiting(
                    &kb_url,
                    &|| account.get(&http, &kb_url),
                    patience,
                    until,
                    step,
                    patience.max_page,
                    &qualys_wait,
                )
                .await?;
                if !status.is_success() {
                    return Err(refused(&kb_url, status, &said));
                }
                let found = vulns(expect(&kb_url, &said, "KNOWLEDGE_BASE_VULN_LIST_OUTPUT")?);
                // A QID the KnowledgeBase does not know is not asked again in this sync.
                for q in batch {
                    known.insert((*q).clone(), found.get(*q).cloned().unwrap_or_default());
                }
            }
            let root = root_at(xml).unwrap_or(0);
            let mut bytes = Vec::with_capacity(body.len() + 4096);
            bytes.extend_from_slice(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<QUALYS_VMDR_PAGE><KNOWLEDGE_BASE_VULN_LIST_OUTPUT><RESPONSE><VULN_LIST>",
            );
            for q in &wanted {
                bytes.extend_from_slice(known.get(q).map(String::as_bytes).unwrap_or_default());
            }
            bytes.extend_from_slice(b"</VULN_LIST></RESPONSE></KNOWLEDGE_BASE_VULN_LIST_OUTPUT>\n");
            bytes.extend_from_slice(&xml.as_bytes()[root..]);
            bytes.extend_from_slice(b"\n</QUALYS_VMDR_PAGE>\n");
            page(Page {
                url: url.clone(),
                next: next.clone(),
                answered_at: text_of(xml, "DATETIME"),
                bytes,
            })
            .map_err(|problem| failed(&url, problem))?;
            pages += 1;
            step(Step::Chunk {
                id: pages,
                done: pages as usize,
            });
            match next {
                Some(n) => url = n,
                None => return Ok(()),
            }
        }
    })
}

//! Microsoft Defender Vulnerability Management's export API: an OAuth2 client-credentials token
//! from Microsoft Entra ID (kept for the sync until it is about to expire, asked again on a 401),
//! then the software vulnerabilities export, page by page following `@odata.nextLink`: all of it
//! (`/api/machines/SoftwareVulnerabilitiesByMachine`) or what changed since a time, at most 14
//! days back (`/api/machines/SoftwareVulnerabilityChangesByMachine?sinceTime=`). Defender allows
//! 30 calls a minute and 1,000 an hour: calls are spaced to stay under both. What the pages mean
//! is the `defender-tvm` format's (truce-parsers): this module moves bytes, reading only the paging.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{ask, block, body, client, escape, send_waiting, Patience, Step};
use crate::{failed, Failed};

const MAX_SMALL: usize = 4 << 20;
/// Records a page (Defender's documented default).
pub const PAGE_SIZE: u32 = 50_000;

/// A Defender tenant: the API's address, the Entra ID tenant and sign-in address, and an app
/// registration's client id and secret.
pub struct Account<'a> {
    /// `https://api.securitycenter.microsoft.com` (or a government cloud's).
    pub api: String,
    pub tenant: String,
    /// `https://login.microsoftonline.com` (`.us` for GCC High and DoD).
    pub login: String,
    pub client_id: &'a str,
    pub secret: &'a str,
}

impl<'a> Account<'a> {
    /// Reads a source's address: the API's, with the tenant (and, for another cloud or a test,
    /// the sign-in address) as query parameters:
    /// `https://api.securitycenter.microsoft.com/?tenant=<tenant id>[&login=https://…]`.
    pub fn from_address(
        address: &str,
        client_id: &'a str,
        secret: &'a str,
    ) -> Result<Self, Failed> {
        let address = address.trim();
        let (api, query) = address.split_once('?').unwrap_or((address, ""));
        let api = api.trim_end_matches('/').to_string();
        let mut tenant = None;
        let mut login = None;
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("tenant", v)) if !v.is_empty() => tenant = Some(v.to_string()),
                Some(("login", v)) if !v.is_empty() => {
                    login = Some(v.trim_end_matches('/').to_string())
                }
                _ => {}
            }
        }
        let tenant = tenant.ok_or_else(|| {
            failed(
                &api,
                "the address names no tenant: add ?tenant=<your Entra ID tenant id> to it",
            )
        })?;
        if !tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(failed(
                &api,
                format!("'{tenant}' is not a tenant id or domain"),
            ));
        }
        // GCC High and DoD (api-gov) sign in on the .us cloud; GCC (api-gcc) and the commercial
        // cloud on login.microsoftonline.com.
        let login = login.unwrap_or_else(|| {
            if api.to_ascii_lowercase().contains("://api-gov.") {
                "https://login.microsoftonline.us".into()
            } else {
                "https://login.microsoftonline.com".into()
            }
        });
        Ok(Account {
            api,
            tenant,
            login,
            client_id,
            secret,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// Whether `url` is on the API's own scheme, host and port.
    fn owns(&self, url: &str) -> bool {
        super::same_origin(url, &self.api)
    }
}

/// The first page of a sync: the whole export, or the changes since `since` (RFC 3339, UTC).
pub fn first_page(account: &Account, since: Option<&str>) -> String {
    match since {
        None => account.url(&format!(
            "/api/machines/SoftwareVulnerabilitiesByMachine?pageSize={PAGE_SIZE}"
        )),
        Some(t) => account.url(&format!(
            "/api/machines/SoftwareVulnerabilityChangesByMachine?pageSize={PAGE_SIZE}&sinceTime={t}"
        )),
    }
}

/// The spacing Defender asks for: at most 30 calls in any minute and 1,000 in any hour.
struct Limit {
    calls: VecDeque<Instant>,
}

impl Limit {
    const PER_MINUTE: usize = 30;
    const PER_HOUR: usize = 1000;

    /// How long to wait before the next call, at `now`.
    fn wait(&mut self, now: Instant) -> Duration {
        while self
            .calls
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(3600))
        {
            self.calls.pop_front();
        }
        let mut wait = Duration::ZERO;
        let n = self.calls.len();
        if n >= Self::PER_HOUR {
            let t = self.calls[n - Self::PER_HOUR] + Duration::from_secs(3600);
            wait = wait.max(t.saturating_duration_since(now));
        }
        if n >= Self::PER_MINUTE {
            let t = self.calls[n - Self::PER_MINUTE] + Duration::from_secs(60);
            wait = wait.max(t.saturating_duration_since(now));
        }
        wait
    }

    fn called(&mut self, at: Instant) {
        self.calls.push_back(at);
    }
}

struct Token {
    value: String,
    until: Instant,
}

/// What Entra ID says of a refused sign-in (`error`, `error_description`), cut to its first line.
fn signin_refused(url: &str, status: reqwest::StatusCode, said: &[u8]) -> Failed {
    #[derive(Deserialize)]
    struct Said {
        #[serde(default)]
        error: String,
        #[serde(default)]
        error_description: String,
    }
    let said: Option<Said> = serde_json::from_slice(said).ok();
    let detail = said
        .map(|s| {
            let first = s.error_description.lines().next().unwrap_or("").to_string();
            format!(
                "{}: {}",
                s.error,
                first.chars().take(300).collect::<String>()
            )
        })
        .unwrap_or_default();
    let why = match status.as_u16() {
        400 | 401 => "the tenant, client id or client secret is not accepted",
        _ => "the sign-in failed",
    };
    failed(
        url,
        format!(
            "{why} ({status}){}",
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        ),
    )
}

/// A refusal of the API in words a person can act on (its `error.message`).
fn refused(url: &str, status: reqwest::StatusCode, said: &[u8]) -> Failed {
    let message = serde_json::from_slice::<serde_json::Value>(said)
        .ok()
        .and_then(|v| {
            v["error"]["message"]
                .as_str()
                .map(|s| s.chars().take(300).collect::<String>())
        });
    let why = match status.as_u16() {
        401 => "the token is not accepted (401)".to_string(),
        403 => "the app may not read vulnerabilities (403): give it the Vulnerability.Read.All application permission, with admin consent".to_string(),
        404 => "there is no Defender export API here (404): check the address".to_string(),
        _ => format!("the server answered {status}"),
    };
    failed(
        url,
        match message {
            Some(m) if !m.is_empty() => format!("{why}: {m}"),
            _ => why,
        },
    )
}

struct Session<'a, 'b> {
    account: &'b Account<'a>,
    http: reqwest::Client,
    patience: &'b Patience,
    until: Instant,
    token: Option<Token>,
    limit: Limit,
}

impl Session<'_, '_> {
    async fn token(&mut self, step: &dyn Fn(Step)) -> Result<String, Failed> {
        if let Some(t) = self
            .token
            .as_ref()
            .filter(|t| Instant::now() + Duration::from_secs(60) < t.until)
        {
            return Ok(t.value.clone());
        }
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            self.account.login, self.account.tenant
        );
        let scope = format!("{}/.default", self.account.api);
        let form_body = format!(
            "client_id={}&client_secret={}&scope={}&grant_type=client_credentials",
            escape(self.account.client_id.trim()),
            escape(self.account.secret),
            escape(&scope)
        );
        let (status, said) = ask(
            &url,
            &|| {
                self.http
                    .post(&url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form_body.clone())
            },
            self.patience,
            self.until,
            step,
            MAX_SMALL,
        )
        .await?;
        if !status.is_success() {
            return Err(signin_refused(&url, status, &said));
        }
        #[derive(Deserialize)]
        struct Granted {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let granted: Granted = serde_json::from_slice(&said)
            .map_err(|e| failed(&url, format!("the answer is not a token: {e}")))?;
        let value = granted.access_token;
        self.token = Some(Token {
            value: value.clone(),
            until: Instant::now() + Duration::from_secs(granted.expires_in.unwrap_or(3599)),
        });
        Ok(value)
    }

    /// GETs `url` with the token, within Defender's limits; a 401 asks for a new token once.
    async fn get(&mut self, url: &str, step: &dyn Fn(Step), max: usize) -> Result<Vec<u8>, Failed> {
        for attempt in 0..2 {
            let token = self.token(step).await?;
            let wait = self.limit.wait(Instant::now());
            if !wait.is_zero() {
                if Instant::now() + wait > self.until {
                    return Err(failed(
                        url,
                        "Defender's call limit would hold the sync past its deadline",
                    ));
                }
                step(Step::RateLimited { wait });
                tokio::time::sleep(wait).await;
            }
            self.limit.called(Instant::now());
            let http = &self.http;
            let r = send_waiting(
                url,
                &|| {
                    http.get(url)
                        .bearer_auth(&token)
                        .header("Accept", "application/json")
                },
                self.patience,
                self.until,
                step,
                &|_| None,
            )
            .await?;
            let status = r.status();
            let bytes = body(url, r, max).await?;
            if status == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                // Expired or revoked early: a new token, once.
                self.token = None;
                continue;
            }
            if !status.is_success() {
                return Err(refused(url, status, &bytes));
            }
            return Ok(bytes);
        }
        unreachable!("the loop returns on its second pass")
    }
}

/// Checks that the tenant signs the app in and the app may read the export (one record).
pub fn check(account: &Account, patience: &Patience) -> Result<(), Failed> {
    let url = account.url("/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=1");
    block(&url, patience, async {
        let mut s = Session {
            account,
            http: client(&url, patience)?,
            patience,
            until: Instant::now() + patience.request * 4,
            token: None,
            limit: Limit {
                calls: VecDeque::new(),
            },
        };
        let bytes = s.get(&url, &|_| {}, MAX_SMALL).await?;
        serde_json::from_slice::<Envelope>(&bytes)
            .map_err(|e| failed(&url, format!("the answer is not Defender's export: {e}")))?;
        Ok(())
    })
}

#[derive(Deserialize)]
struct Envelope {
    #[allow(dead_code)]
    value: Vec<serde::de::IgnoredAny>,
    #[serde(rename = "@odata.nextLink", default)]
    next: Option<String>,
}

/// One page as read: its address, the next one's, and its bytes (the format's to read).
pub struct Page {
    pub url: String,
    pub next: Option<String>,
    pub records: usize,
    pub bytes: Vec<u8>,
}

/// Reads the export from `from` (a [`first_page`] or the page a killed sync had reached) to its
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
            return Err(failed(from, "not this tenant's API address: not followed"));
        }
        let mut s = Session {
            account,
            http: client(from, patience)?,
            patience,
            until: Instant::now() + patience.deadline,
            token: None,
            limit: Limit {
                calls: VecDeque::new(),
            },
        };
        let mut url = from.to_string();
        let mut pages = 0u32;
        loop {
            let bytes = s.get(&url, step, patience.max_page).await?;
            let envelope: Envelope = serde_json::from_slice(&bytes)
                .map_err(|e| failed(&url, format!("the page is not Defender's export: {e}")))?;
            let next = envelope.next.filter(|n| !n.trim().is_empty());
            if let Some(n) = &next {
                if !account.owns(n) {
                    return Err(failed(&url, format!("the next page is at {n}, not at this tenant's API address: not followed")));
                }
                if *n == url {
                    return Err(failed(
                        &url,
                        "the page names itself as the next one: not followed",
                    ));
                }
            }
            page(Page {
                url: url.clone(),
                next: next.clone(),
                records: envelope.value.len(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_spaces_the_31st_call_of_a_minute_and_the_1001st_of_an_hour() {
        let start = Instant::now();
        let mut l = Limit {
            calls: VecDeque::new(),
        };
        for i in 0..30 {
            assert_eq!(
                l.wait(start + Duration::from_secs(i)),
                Duration::ZERO,
                "call {i}"
            );
            l.called(start + Duration::from_secs(i));
        }
        // The 31st at 30 s waits until the first call is a minute old.
        assert_eq!(
            l.wait(start + Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        let mut l = Limit {
            calls: VecDeque::new(),
        };
        for i in 0..1000 {
            l.called(start + Duration::from_secs(3 * i));
        }
        // 1,000 calls over 50 minutes: the next waits until the first is an hour old.
        assert_eq!(
            l.wait(start + Duration::from_secs(3000)),
            Duration::from_secs(600)
        );
    }
}

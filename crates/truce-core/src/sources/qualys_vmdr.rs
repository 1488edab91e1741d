//! Qualys VMDR: the detections whose status changed since the last sync (all of them the first
//! time), Fixed ones included, page by page as Qualys truncates them. The cursor holds the page a
//! sync under way has reached, so a killed sync reads on from there; `since` moves to Qualys's own
//! time of the first page (less an hour) only when a sync read to its last page.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Keys, Kind, Run, Source, SourceKind};
use crate::error::{Error, Result};
use truce_net::sources::qualys_vmdr as api;

pub(super) struct QualysVmdr;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// `detection_updated_since` for the next sync (`YYYY-MM-DDTHH:MM:SSZ`); none: everything.
    since: Option<String>,
    reading: Option<Reading>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Reading {
    /// The next page to read.
    url: String,
    /// Qualys's time when it answered the sync's first page.
    answered_at: Option<String>,
}

const OVERLAP: Duration = Duration::hours(1);

fn account<'a>(source: &'a Source, keys: &'a Keys) -> api::Account<'a> {
    api::Account {
        base: &source.url,
        user: &keys.access_key,
        password: &keys.secret_key,
        asset_groups: source.scope.as_deref(),
    }
}

/// The `since` of the next sync: the first page's time less the overlap, as Qualys writes it.
fn since_after(answered_at: Option<&str>, fallback: DateTime<Utc>) -> String {
    let at = answered_at.and_then(super::instant).unwrap_or(fallback);
    (at - OVERLAP).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Kind for QualysVmdr {
    fn about(&self) -> SourceKind {
        SourceKind {
            name: "qualys-vmdr",
            label: "Qualys VMDR",
            url_hint: "https://qualysapi.qualys.com",
            access: Some("User name"),
            secret: "Password",
            scope: Some("Asset group ids (1234,5678)"),
        }
    }

    fn check_scope(&self, scope: &str) -> Result<()> {
        super::ids_only(scope)
    }

    fn check(&self, source: &Source, keys: &Keys, patience: &super::Patience) -> Result<()> {
        api::check(&account(source, keys), patience).map_err(super::net(source))
    }

    fn sync(&self, run: &mut Run<'_>) -> Result<()> {
        let mut c: Cursor = run.cursor()?;
        let (source, keys, patience, step) = (run.source, run.keys, run.patience, run.step);
        let acct = account(source, keys);
        let started = run.ws.now();
        let mut reading = match c.reading.take() {
            Some(r) if !run.full => {
                run.report.resumed = true;
                r
            }
            _ => Reading {
                url: api::first_page(&acct, if run.full { None } else { c.since.as_deref() }),
                answered_at: None,
            },
        };
        let since = c.since.clone();
        let mut pages = 0u32;
        api::read(&acct, &reading.url.clone(), patience, step, &mut |page| {
            pages += 1;
            run.import(
                &format!("detections page {pages}"),
                &page.bytes,
                "qualys-detections",
            )
            .map_err(|e| e.to_string())?;
            if reading.answered_at.is_none() {
                reading.answered_at = page.answered_at.clone();
            }
            match page.next {
                Some(next) => {
                    reading.url = next;
                    run.save_cursor(&Cursor {
                        since: since.clone(),
                        reading: Some(reading.clone()),
                    })
                    .map_err(|e| e.to_string())
                }
                None => Ok(()),
            }
        })
        .map_err(super::net(source))?;
        c.since = Some(since_after(reading.answered_at.as_deref(), started));
        c.reading = None;
        run.save_cursor(&c)
            .map_err(|e| Error::Invalid(format!("source '{}': {e}", source.name)))
    }
}

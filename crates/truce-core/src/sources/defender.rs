//! Microsoft Defender Vulnerability Management: the changes since the last sync (Defender keeps
//! them 14 days), or the whole export the first time, after a gap of more than 13 days, or when
//! asked. The cursor holds the page a sync under way has reached, so a killed sync reads on from
//! there; `since` moves to the start of a sync (less an hour) only when it read to its last page.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{Keys, Kind, Run, Source, SourceKind};
use crate::error::{Error, Result};
use truce_net::sources::defender as api;

pub(super) struct Defender;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// When the last whole sync started, less the overlap (RFC 3339).
    since: Option<String>,
    reading: Option<Reading>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Reading {
    url: String,
    started_at: String,
}

const OVERLAP: Duration = Duration::hours(1);
/// Defender answers changes of the last 14 days; a day's margin for clocks and slow syncs.
const DELTA_REACH: Duration = Duration::days(13);

fn account<'a>(source: &'a Source, keys: &'a Keys) -> Result<api::Account<'a>> {
    api::Account::from_address(&source.url, &keys.access_key, &keys.secret_key)
        .map_err(super::net(source))
}

impl Kind for Defender {
    fn about(&self) -> SourceKind {
        SourceKind {
            name: "defender",
            label: "Microsoft Defender Vulnerability Management",
            url_hint: "https://api.securitycenter.microsoft.com/?tenant=<tenant id>",
            access: Some("Application (client) ID"),
            secret: "Client secret",
            scope: None,
        }
    }

    fn check(&self, source: &Source, keys: &Keys, patience: &super::Patience) -> Result<()> {
        api::check(&account(source, keys)?, patience).map_err(super::net(source))
    }

    fn sync(&self, run: &mut Run<'_>) -> Result<()> {
        let mut c: Cursor = run.cursor()?;
        let (source, keys, patience, step) = (run.source, run.keys, run.patience, run.step);
        let acct = account(source, keys)?;
        let now = run.ws.now();
        let mut reading = match c.reading.take() {
            Some(r) if !run.full => {
                run.report.resumed = true;
                r
            }
            _ => {
                // Changes only while Defender still has them all; else the whole export.
                let since = c
                    .since
                    .as_deref()
                    .and_then(super::instant)
                    .filter(|t| !run.full && now - *t < DELTA_REACH)
                    .map(crate::ids::utc_text);
                Reading {
                    url: api::first_page(&acct, since.as_deref()),
                    started_at: crate::ids::utc_text(now),
                }
            }
        };
        let since = c.since.clone();
        let mut pages = 0u32;
        api::read(&acct, &reading.url.clone(), patience, step, &mut |page| {
            pages += 1;
            if page.records > 0 {
                run.import(&format!("export page {pages}"), &page.bytes, "defender-tvm")
                    .map_err(|e| e.to_string())?;
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
        let started = super::instant(&reading.started_at).unwrap_or(now);
        c.since = Some(crate::ids::utc_text(started - OVERLAP));
        c.reading = None;
        run.save_cursor(&c)
            .map_err(|e| Error::Invalid(format!("source '{}': {e}", source.name)))
    }
}

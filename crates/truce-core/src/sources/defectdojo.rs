//! DefectDojo: its findings, newest status change first, page by page down to the newest change
//! the last sync saw (less an hour, so a change stamped late is not missed). DefectDojo says in
//! each finding whether it is active, mitigated or a false positive, so nothing is closed for
//! being absent. The cursor holds the offset reached and the newest change of the sync under way:
//! a killed sync reads on from there.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::{Keys, Kind, Run, Source, SourceKind};
use crate::error::{Error, Result};
use truce_net::sources::defectdojo as api;

pub(super) struct DefectDojo;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// The newest status change a finished sync saw (RFC 3339, DefectDojo's clock).
    seen_to: Option<String>,
    /// A sync under way.
    reading: Option<Reading>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Reading {
    /// Where the next page starts.
    offset: u64,
    /// Reading stops after the page that reaches this status change; none reads everything.
    stop_at: Option<String>,
    /// The newest status change this sync saw (its first page's first finding).
    newest: Option<String>,
}

const OVERLAP: Duration = Duration::hours(1);

fn account<'a>(source: &'a Source, keys: &'a Keys) -> api::Account<'a> {
    api::Account {
        base: &source.url,
        token: &keys.secret_key,
        product: source.scope.as_deref(),
    }
}

impl Kind for DefectDojo {
    fn about(&self) -> SourceKind {
        SourceKind {
            name: "defectdojo",
            label: "DefectDojo",
            url_hint: "https://defectdojo.example.com",
            access: None,
            secret: "API token",
            scope: Some("Product name"),
        }
    }

    fn check(&self, source: &Source, keys: &Keys, patience: &super::Patience) -> Result<()> {
        api::check(&account(source, keys), patience).map_err(super::net(source))
    }

    fn sync(&self, run: &mut Run<'_>) -> Result<()> {
        let mut c: Cursor = run.cursor()?;
        let mut reading = match c.reading.take() {
            Some(r) if !run.full => {
                run.report.resumed = true;
                r
            }
            _ => Reading {
                offset: 0,
                stop_at: if run.full {
                    None
                } else {
                    c.seen_to
                        .as_deref()
                        .and_then(super::instant)
                        .map(|t| crate::ids::utc_text(t - OVERLAP))
                },
                newest: None,
            },
        };
        let stop_at = reading.stop_at.as_deref().and_then(super::instant);
        let (source, keys, patience, step) = (run.source, run.keys, run.patience, run.step);
        let seen_to = c.seen_to.clone();
        api::read(
            &account(source, keys),
            reading.offset,
            patience,
            step,
            &mut |page| {
                let what = format!(
                    "findings {} to {}",
                    page.offset + 1,
                    page.offset + page.findings
                );
                if page.findings > 0 {
                    run.import(&what, &page.bytes, "defectdojo")
                        .map_err(|e| e.to_string())?;
                }
                if reading.newest.is_none() {
                    reading.newest = page.newest.clone();
                }
                reading.offset = page.offset + page.findings;
                run.save_cursor(&Cursor {
                    seen_to: seen_to.clone(),
                    reading: Some(reading.clone()),
                })
                .map_err(|e| e.to_string())?;
                let reached = match (stop_at, page.oldest.as_deref().and_then(super::instant)) {
                    (Some(stop), Some(oldest)) => oldest < stop,
                    _ => false,
                };
                Ok(!reached)
            },
        )
        .map_err(super::net(source))?;
        c.seen_to = match (
            reading.newest.as_deref().and_then(super::instant),
            c.seen_to.as_deref().and_then(super::instant),
        ) {
            (Some(new), Some(old)) if old > new => c.seen_to.clone(),
            (Some(_), _) => reading.newest.clone(),
            (None, _) => c.seen_to.clone(),
        };
        c.reading = None;
        run.save_cursor(&c)
            .map_err(|e| Error::Invalid(format!("source '{}': {e}", source.name)))
    }
}

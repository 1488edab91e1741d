//! Tenable Security Center: what is vulnerable now and was seen since the last sync
//! (`cumulative`, by last seen), then what was mitigated since (`patched`, by last mitigated),
//! everything the first time. The cursor holds the window of a sync under way and the question
//! and offset it reached, so a killed sync reads on from there; `since` moves to the window's end
//! (less an hour) only when both questions were read to their end.

use serde::{Deserialize, Serialize};

use super::{now_seconds, Keys, Kind, Run, Source, SourceKind};
use crate::error::{Error, Result};
use truce_net::sources::tenable_sc as api;

pub(super) struct TenableSc;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// Unix seconds: the next sync asks for what changed since then; none: everything.
    since: Option<i64>,
    reading: Option<Reading>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Reading {
    from: Option<i64>,
    to: i64,
    question: usize,
    offset: u64,
}

const OVERLAP_SECONDS: i64 = 3600;

fn account<'a>(source: &'a Source, keys: &'a Keys) -> api::Account<'a> {
    api::Account {
        base: &source.url,
        access_key: &keys.access_key,
        secret_key: &keys.secret_key,
        repositories: source.scope.as_deref(),
    }
}

impl Kind for TenableSc {
    fn about(&self) -> SourceKind {
        SourceKind {
            name: "tenable-sc",
            label: "Tenable Security Center",
            url_hint: "https://securitycenter.example.com",
            access: Some("Access key"),
            secret: "Secret key",
            scope: Some("Repository ids (1,3)"),
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
        let mut reading = match c.reading.take() {
            Some(r) if !run.full => {
                run.report.resumed = true;
                r
            }
            _ => Reading {
                from: if run.full { None } else { c.since },
                to: now_seconds(run.ws),
                question: 0,
                offset: 0,
            },
        };
        let (source, keys, patience, step) = (run.source, run.keys, run.patience, run.step);
        let since = c.since;
        let (from, to) = (reading.from, reading.to);
        api::read(
            &account(source, keys),
            (from, to),
            (reading.question, reading.offset),
            patience,
            step,
            &mut |page| {
                let question = api::QUESTIONS[page.question].0;
                if page.results > 0 {
                    let what = format!(
                        "{question} results {} to {}",
                        page.offset + 1,
                        page.offset + page.results
                    );
                    run.import(&what, &page.bytes, "tenable-sc")
                        .map_err(|e| e.to_string())?;
                }
                reading.question = page.question;
                reading.offset = page.offset + page.results;
                run.save_cursor(&Cursor {
                    since,
                    reading: Some(reading.clone()),
                })
                .map_err(|e| e.to_string())
            },
        )
        .map_err(super::net(source))?;
        c.since = Some(to - OVERLAP_SECONDS);
        c.reading = None;
        run.save_cursor(&c)
            .map_err(|e| Error::Invalid(format!("source '{}': {e}", source.name)))
    }
}

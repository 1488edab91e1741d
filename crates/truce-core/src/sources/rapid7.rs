//! Rapid7 InsightVM: every asset, page by page, with all its findings. InsightVM has no
//! "changed since", so every sync reads everything; since a page holds whole assets, importing it
//! closes on those assets what InsightVM no longer reports, and only there: a sync that stopped
//! midway closed nothing on the assets it did not reach. The cursor holds the next page of a sync
//! under way, so a killed sync reads on from there.

use serde::{Deserialize, Serialize};

use super::{Keys, Kind, Run, Source, SourceKind};
use crate::error::{Error, Result};
use truce_net::sources::rapid7 as api;

pub(super) struct Rapid7;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    /// The next page of assets of a sync under way.
    next_page: Option<u32>,
}

fn account<'a>(source: &'a Source, keys: &'a Keys) -> api::Account<'a> {
    api::Account {
        base: &source.url,
        user: &keys.access_key,
        password: &keys.secret_key,
        site: source.scope.as_deref(),
    }
}

impl Kind for Rapid7 {
    fn about(&self) -> SourceKind {
        SourceKind {
            name: "rapid7-insightvm",
            label: "Rapid7 InsightVM",
            url_hint: "https://insightvm.example.com:3780",
            access: Some("User name"),
            secret: "Password",
            scope: Some("Site id"),
        }
    }

    fn check_scope(&self, scope: &str) -> Result<()> {
        if !scope.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Invalid(format!(
                "'{scope}' is not an InsightVM site id (a number)"
            )));
        }
        Ok(())
    }

    fn check(&self, source: &Source, keys: &Keys, patience: &super::Patience) -> Result<()> {
        api::check(&account(source, keys), patience).map_err(super::net(source))
    }

    fn sync(&self, run: &mut Run<'_>) -> Result<()> {
        let c: Cursor = run.cursor()?;
        let from = match c.next_page {
            Some(p) if !run.full && p > 0 => {
                run.report.resumed = true;
                p
            }
            _ => 0,
        };
        let (source, keys, patience, step) = (run.source, run.keys, run.patience, run.step);
        api::read(&account(source, keys), from, patience, step, &mut |page| {
            let what = format!("assets page {} of {}", page.number + 1, page.pages);
            if page.assets > 0 {
                run.import(&what, &page.bytes, "rapid7-insightvm")
                    .map_err(|e| e.to_string())?;
            }
            run.save_cursor(&Cursor {
                next_page: Some(page.number + 1),
            })
            .map_err(|e| e.to_string())
        })
        .map_err(super::net(source))?;
        run.save_cursor(&Cursor::default())
            .map_err(|e| Error::Invalid(format!("source '{}': {e}", source.name)))
    }
}

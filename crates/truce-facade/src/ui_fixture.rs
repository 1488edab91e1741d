//! Recorded answers of the real backend for the browser tests' fake. The fake replays
//! these and nothing else, so it cannot drift from what the core really returns.

use std::path::Path;
use std::sync::Mutex;

use serde_json::{json, Value};

use truce_core::error::Result;
use truce_core::model::{FindingsQuery, Severity};
use truce_core::{api, demo, Workspace};

/// The findings queries the UI issues in the browser tests (page size 200, as `ui/src/lib/pages.ts`).
pub fn recorded_queries() -> Vec<FindingsQuery> {
    let q = |offset, text: Option<&str>, severities: Vec<Severity>, include_closed| FindingsQuery {
        offset,
        limit: 200,
        text: text.map(String::from),
        severities,
        include_closed,
    };
    vec![
        q(0, None, vec![], false),
        q(200, None, vec![], false),
        q(0, None, vec![Severity::Critical], false),
        q(0, None, vec![Severity::High], false),
        q(0, None, vec![Severity::Critical, Severity::High], false),
        q(0, Some("qa3app04"), vec![], false),
        q(0, Some("CVE-2012-1823"), vec![], false),
        q(0, Some("no-such-thing"), vec![], false),
    ]
}

/// Builds the demo workspace in `dir` and records `app_status` (before and after opening it)
/// and `findings` for every recorded query.
pub fn record(dir: &Path) -> Result<Value> {
    let path = dir.join("demo.truce");
    demo::create_demo(&path, truce_core::here::clock())?;
    let mut ws = Workspace::open_existing(&path)?;
    let now = ws.now();
    let session = crate::board::session(&mut ws, now, crate::board::NoArgs {})?;
    let hub_status = crate::board::hub_status(&mut ws, now, crate::board::NoArgs {})?;
    let sources = crate::board::sources(&mut ws, now, crate::board::NoArgs {})?;
    let shown = path.display().to_string();
    let mut findings = Vec::new();
    for q in recorded_queries() {
        findings.push(json!({ "query": q, "page": api::findings(&ws, &q)? }));
    }
    let open_demo = api::app_status(Some(&ws), vec![shown.clone()], None);
    let (progress, outcomes) = record_import(dir, &path)?;
    let ws = Workspace::open_existing(&path)?;
    let after = api::findings(&ws, &recorded_queries()[0])?;
    Ok(json!({
        "welcome": api::app_status(None, vec![], None),
        "open_demo": open_demo,
        "session": session,
        "hub_status": hub_status,
        "sources": sources,
        "findings": findings,
        "import": {
            "progress": progress,
            "outcomes": outcomes,
            "status_after": api::app_status(Some(&ws), vec![shown], None),
            "findings_after": { "query": recorded_queries()[0], "page": after },
        },
    }))
}

/// Imports into the demo what the browser test's "Import reports…" click imports: a damaged
/// file (refused) and a rescan of testphp.vulnweb.com a day later on which the one critical
/// finding (plugin 58987) is gone.
fn record_import(
    dir: &Path,
    workspace: &Path,
) -> Result<(Vec<Value>, Vec<truce_core::model::ImportOutcome>)> {
    let original = std::str::from_utf8(demo::DEMO_REPORTS[2].1).expect("demo report is UTF-8");
    let bad = dir.join("damaged.nessus");
    std::fs::write(&bad, &original[..original.len() / 3]).map_err(|e| io(&bad, e))?;
    let rescan = dir.join("testphp-rescan.nessus");
    std::fs::write(&rescan, rescan_without_critical(original)).map_err(|e| io(&rescan, e))?;
    let mut ws = Workspace::open_existing(workspace)?;
    let progress = Mutex::new(Vec::new());
    let outcomes = api::import_files(&mut ws, &[bad, rescan], &|p| {
        progress.lock().unwrap().push(json!(p))
    });
    Ok((progress.into_inner().unwrap(), outcomes))
}

fn rescan_without_critical(report: &str) -> String {
    let mut out = report.replace(">1648042311<", ">1648128711<");
    while let Some(start) =
        out.find("<ReportItem port=\"80\" svc_name=\"www\" protocol=\"tcp\" severity=\"4\"")
    {
        let end =
            out[start..].find("</ReportItem>").expect("item ends") + start + "</ReportItem>".len();
        out.replace_range(start..end, "");
    }
    out
}

fn io(path: &Path, e: std::io::Error) -> truce_core::Error {
    truce_core::Error::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

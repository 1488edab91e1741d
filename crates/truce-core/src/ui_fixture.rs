//! Recorded answers of the real backend for the browser tests' fake. The fake replays
//! these and nothing else, so it cannot drift from what the core really returns.

use std::path::Path;

use serde_json::{json, Value};

use crate::error::Result;
use crate::model::{FindingsQuery, Severity};
use crate::{api, demo, Workspace};

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
    demo::create_demo(&path)?;
    let ws = Workspace::open_existing(&path)?;
    let shown = path.display().to_string();
    let mut findings = Vec::new();
    for q in recorded_queries() {
        findings.push(json!({ "query": q, "page": api::findings(&ws, &q)? }));
    }
    Ok(json!({
        "welcome": api::app_status(None, vec![], None),
        "open_demo": api::app_status(Some(&ws), vec![shown], None),
        "findings": findings,
    }))
}

//! Read models for the UI and the CLI: the same functions answer a Tauri command and `truce status`.

use rusqlite::{params_from_iter, types::Value};

use crate::error::Result;
use crate::model::*;
use crate::workspace::Workspace;

pub fn counts(ws: &Workspace) -> Result<WorkspaceCounts> {
    let c = ws.conn();
    let one =
        |sql: &str| -> Result<u32> { Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))? as u32) };
    let mut open_by_severity = SeverityCounts::default();
    let mut stmt = c.prepare(
        "SELECT severity, count(*) FROM findings WHERE status = 'open' GROUP BY severity",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (sev, n) = row?;
        if let Some(s) = Severity::parse(&sev) {
            open_by_severity.add(s, n as u32);
        }
    }
    Ok(WorkspaceCounts {
        assets: one("SELECT count(*) FROM assets")?,
        findings: one("SELECT count(*) FROM findings")?,
        open_findings: open_by_severity.total(),
        work_items: one("SELECT count(*) FROM work_items")?,
        change_windows: one("SELECT count(*) FROM change_windows")?,
        imports: one("SELECT count(*) FROM imports")?,
        open_by_severity,
    })
}

pub fn latest_imports(ws: &Workspace, limit: u32) -> Result<Vec<ImportSummary>> {
    let mut stmt = ws.conn().prepare(
        "SELECT id, format, file_name, imported_at, imported_by, assets, findings, new_findings
         FROM imports ORDER BY imported_at DESC, id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(ImportSummary {
            id: r.get(0)?,
            format: r.get(1)?,
            file_name: r.get(2)?,
            imported_at: r.get(3)?,
            imported_by: r.get(4)?,
            assets: r.get(5)?,
            findings: r.get(6)?,
            new_findings: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn change_windows(ws: &Workspace) -> Result<Vec<ChangeWindowSummary>> {
    let mut stmt = ws.conn().prepare(
        "SELECT id, name, kind, time_zone, starts_local, duration_min, rrule FROM change_windows ORDER BY starts_local, name",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(ChangeWindowSummary {
            id: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
            time_zone: r.get(3)?,
            starts_local: r.get(4)?,
            duration_min: r.get(5)?,
            rrule: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn overview(ws: &Workspace) -> Result<WorkspaceOverview> {
    let path = ws.path().display().to_string();
    let name = ws
        .path()
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.clone());
    Ok(WorkspaceOverview {
        path,
        name,
        schema_version: ws.schema_version()? as u32,
        counts: counts(ws)?,
        latest_imports: latest_imports(ws, 5)?,
        upcoming_windows: change_windows(ws)?,
    })
}

/// One slice of the findings list, most severe first, then by asset and title.
pub fn findings(ws: &Workspace, q: &FindingsQuery) -> Result<FindingsPage> {
    let mut filter = String::from(" WHERE 1=1");
    let mut args: Vec<Value> = Vec::new();
    if !q.include_closed {
        filter.push_str(" AND f.status = 'open'");
    }
    if !q.severities.is_empty() {
        filter.push_str(" AND f.severity IN (");
        for (i, s) in q.severities.iter().enumerate() {
            filter.push_str(if i == 0 { "?" } else { ",?" });
            args.push(Value::Text(s.as_str().into()));
        }
        filter.push(')');
    }
    if let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let like = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        filter.push_str(
            " AND (a.name LIKE ? ESCAPE '\\' OR v.title LIKE ? ESCAPE '\\' OR v.scanner_id LIKE ? ESCAPE '\\'
                   OR EXISTS (SELECT 1 FROM vulnerability_cves c WHERE c.vulnerability_id = v.id AND c.cve LIKE ? ESCAPE '\\'))",
        );
        for _ in 0..4 {
            args.push(Value::Text(like.clone()));
        }
    }
    let from = " FROM findings f JOIN assets a ON a.id = f.asset_id JOIN vulnerabilities v ON v.id = f.vulnerability_id";
    let c = ws.conn();
    let total: i64 = c.query_row(
        &format!("SELECT count(*){from}{filter}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    let limit = q.limit.clamp(1, 5000);
    let sql = format!(
        "SELECT f.id, a.name, v.title, v.scanner, v.scanner_id, f.severity, f.status, f.location, f.first_seen, f.last_seen,
                (SELECT group_concat(cve, ' ') FROM (SELECT cve FROM vulnerability_cves c WHERE c.vulnerability_id = v.id ORDER BY cve))
         {from}{filter}
         ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END,
                  a.name, v.title, f.location
         LIMIT {limit} OFFSET {}",
        q.offset
    );
    let mut stmt = c.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
        let sev: String = r.get(5)?;
        let status: String = r.get(6)?;
        let cves: Option<String> = r.get(10)?;
        Ok(FindingRow {
            id: r.get(0)?,
            asset: r.get(1)?,
            title: r.get(2)?,
            scanner: r.get(3)?,
            scanner_id: r.get(4)?,
            severity: Severity::parse(&sev).unwrap_or(Severity::Info),
            status: FindingStatus::parse(&status).unwrap_or(FindingStatus::Open),
            location: r.get(7)?,
            cves: cves
                .map(|s| s.split(' ').map(String::from).collect())
                .unwrap_or_default(),
            first_seen: r.get(8)?,
            last_seen: r.get(9)?,
        })
    })?;
    Ok(FindingsPage {
        total: total as u32,
        offset: q.offset,
        rows: rows.collect::<Result<_, _>>()?,
    })
}

/// What the app shows at any moment: the open workspace (if any), recent files, the last error.
pub fn app_status(ws: Option<&Workspace>, recent: Vec<String>, error: Option<String>) -> AppStatus {
    let mut error = error;
    let workspace = ws.and_then(|ws| match overview(ws) {
        Ok(o) => Some(o),
        Err(e) => {
            error = Some(e.to_string());
            None
        }
    });
    AppStatus {
        workspace,
        recent,
        error,
    }
}

/// Imports `files` one after another, each in its own transaction; a bad file is reported
/// and does not stop the others. `progress` hears about every file as it is read.
pub fn import_files(
    ws: &mut Workspace,
    files: &[std::path::PathBuf],
    progress: &dyn Fn(ImportProgress),
) -> Vec<ImportOutcome> {
    let count = files.len() as u32;
    let outcomes: Vec<ImportOutcome> = files
        .iter()
        .enumerate()
        .map(|(index, path)| {
            let file = path.display().to_string();
            let tick = |read: u64, total: u64| {
                progress(ImportProgress {
                    file: file.clone(),
                    index: index as u32,
                    count,
                    read_bytes: read as f64,
                    total_bytes: total as f64,
                })
            };
            match crate::ingest::import_file_with_progress(ws, path, None, &tick) {
                Ok(report) => ImportOutcome {
                    file: file.clone(),
                    report: Some(report),
                    error: None,
                },
                Err(e) => ImportOutcome {
                    file: file.clone(),
                    report: None,
                    error: Some(e.to_string()),
                },
            }
        })
        .collect();
    // In the app an import leads straight to a plan: new findings become work items, or join
    // theirs (a regroup keeps people's decisions). A failure here leaves the imports as they
    // are; the next regroup catches up.
    if outcomes.iter().any(|o: &ImportOutcome| o.report.is_some()) {
        let _ = crate::planning::regroup(ws);
    }
    // Imports leave their pages in the write-ahead log; copy them while the person reads the
    // summary, rather than inside the next small write.
    drop(ws.checkpoint_in_background());
    outcomes
}

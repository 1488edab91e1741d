//! Storing parsed iCalendar events as windows, and re-syncing a source (a file path or URL):
//! windows are matched by (source, UID, RECURRENCE-ID); changed events update their window (its id
//! stays), unchanged ones are counted, vanished ones are removed unless items are scheduled on them
//! (those are kept and reported). One transaction per import.

use std::collections::HashMap;
use std::path::Path;

use super::ical::{parse, MAX_ICS_BYTES};
use super::windows::{self, SourceInfo, WindowSpec};
use crate::model::{WindowImportReport, WindowKind};
use crate::{Error, Result, Workspace};

/// A window of the source already in the workspace: id, SEQUENCE, content hash.
type Stored = (String, Option<i64>, Option<String>);

/// The content hash that tells an unchanged event on re-sync.
fn hash(spec: &WindowSpec) -> String {
    let json = serde_json::to_string(spec).expect("spec serializes");
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(json.as_bytes()))
}

/// Imports `bytes` as the calendar `source` (a file path or URL) in one transaction.
pub fn import_bytes(
    ws: &mut Workspace,
    source: &str,
    bytes: &[u8],
    force_kind: Option<WindowKind>,
) -> Result<WindowImportReport> {
    let events = parse(source, bytes, force_kind)?;
    let actor = ws.actor().to_string();
    let reason = format!("imported from {source}");
    let tx = ws.write_tx()?;
    let mut existing: HashMap<(String, String), Stored> = HashMap::new();
    {
        let mut stmt = tx.prepare(
            "SELECT id, source_uid, ifnull(source_recurrence_id, ''), source_sequence, source_hash
             FROM change_windows WHERE source = ?1",
        )?;
        let rows = stmt.query_map([source], |r| {
            Ok((
                (r.get::<_, String>(1)?, r.get::<_, String>(2)?),
                (r.get(0)?, r.get(3)?, r.get(4)?),
            ))
        })?;
        for row in rows {
            let (k, v) = row?;
            existing.insert(k, v);
        }
    }
    let mut report = WindowImportReport {
        source: source.to_string(),
        ..Default::default()
    };
    for e in &events {
        let src = SourceInfo {
            source: source.to_string(),
            uid: e.uid.clone(),
            recurrence_id: e.recurrence_id.clone(),
            sequence: e.sequence,
            modified: e.modified.clone(),
            hash: hash(&e.spec),
        };
        let located = |err: Error| match err {
            Error::Invalid(problem) => Error::BadInput {
                file: source.into(),
                position: format!("line {}", e.line),
                problem,
            },
            other => other,
        };
        match existing.remove(&(e.uid.clone(), e.recurrence_id.clone())) {
            None => {
                windows::insert(&tx, &actor, &e.spec, Some(&src), Some(&reason))
                    .map_err(located)?;
                report.created += 1;
            }
            Some((_, _, Some(h))) if h == src.hash => report.unchanged += 1,
            // An older copy of the event (lower SEQUENCE) does not undo a newer one.
            Some((_, Some(seen), _)) if e.sequence.is_some_and(|s| s < seen) => {
                report.unchanged += 1
            }
            Some((id, _, _)) => {
                windows::replace(&tx, &actor, &id, &e.spec, Some(&src), Some(&reason))
                    .map_err(located)?;
                report.updated += 1;
                for start in windows::stranded(&tx, &id)? {
                    report
                        .stranded
                        .push(format!("{} ({id}) at {start}", e.spec.name));
                }
            }
        }
    }
    let gone_reason = format!("its event is gone from {source}");
    let mut gone: Vec<String> = existing.into_values().map(|(id, _, _)| id).collect();
    gone.sort();
    for id in gone {
        if windows::items_on(&tx, &id)? > 0 {
            let name = windows::get(&tx, &id)?.map(|w| w.name).unwrap_or_default();
            report.kept_in_use.push(format!("{name} ({id})"));
        } else {
            windows::delete_with_reason(&tx, &actor, &id, Some(&gone_reason))?;
            report.removed += 1;
        }
    }
    super::bounds::check_total(&tx, crate::changes::now_time(&tx)?).map_err(|e| match e {
        Error::Invalid(problem) => Error::BadInput {
            file: source.into(),
            position: "the whole calendar".into(),
            problem,
        },
        other => other,
    })?;
    tx.commit()?;
    Ok(report)
}

/// Imports an iCalendar file; its source is its absolute path.
pub fn import_file(
    ws: &mut Workspace,
    path: &Path,
    force_kind: Option<WindowKind>,
) -> Result<WindowImportReport> {
    let unreadable = |detail: String| Error::Unreadable {
        path: path.to_path_buf(),
        detail,
    };
    let meta = crate::files::readable(path)?;
    if meta.len() > MAX_ICS_BYTES as u64 {
        return Err(unreadable(format!(
            "the calendar is {} bytes; Truce reads at most {} MiB",
            meta.len(),
            MAX_ICS_BYTES >> 20
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| unreadable(e.to_string()))?;
    let source = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    import_bytes(ws, &source.display().to_string(), &bytes, force_kind)
}

/// Imports an iCalendar feed from an http(s) URL; its source is the URL.
pub fn import_url(
    ws: &mut Workspace,
    url: &str,
    force_kind: Option<WindowKind>,
) -> Result<WindowImportReport> {
    let bytes = truce_net::fetch(url, super::ical::MAX_ICS_BYTES)?;
    import_bytes(ws, url.trim(), &bytes, force_kind)
}

/// Downloads the calendar at `url` as text, reporting progress and stopping when the caller
/// cancels: what the app does before it takes the workspace, so a slow server holds up nothing
/// else. Import the text with [`import_bytes`], `url` as its source.
pub fn download(url: &str, watch: &truce_net::Watch<'_>) -> Result<String> {
    let bytes = truce_net::fetch_watched(
        url,
        super::ical::MAX_ICS_BYTES,
        truce_net::TRANSFER_LIMIT,
        watch,
    )?;
    String::from_utf8(bytes).map_err(|e| Error::BadInput {
        file: url.trim().to_string(),
        position: format!("byte {}", e.utf8_error().valid_up_to()),
        problem: "not UTF-8 text (iCalendar files are UTF-8)".into(),
    })
}

/// A file path or an http(s) URL.
pub fn import(
    ws: &mut Workspace,
    file_or_url: &str,
    force_kind: Option<WindowKind>,
) -> Result<WindowImportReport> {
    if truce_net::is_url(file_or_url) {
        import_url(ws, file_or_url, force_kind)
    } else {
        import_file(ws, Path::new(file_or_url), force_kind)
    }
}

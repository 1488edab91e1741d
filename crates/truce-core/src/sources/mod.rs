//! Sources: the scanners' APIs this laptop syncs findings from, as imports. What a source hands
//! over lands through the same import as a file of its format does (asset identity, rescans,
//! verdicts): a source adds no rules of its own. The network is `truce-net`'s; the credentials are
//! the caller's (the OS keyring), passed in for one sync and never stored here.
//!
//! One module per kind of source behind the small [`Kind`] trait. Each keeps its own cursor (what
//! its API needs to go on: an export and its chunks read, a page offset and a watermark), saved
//! after every page, and each page is imported in one transaction: killed at any point, the next
//! sync reads on from the last page imported (a page imported but not yet noted is imported again,
//! which changes nothing: the same bytes are the same import). What a cursor holds as "changed
//! since" moves only when a sync was read to its end, so a failed sync leaves the window to the
//! next.

mod defectdojo;
mod defender;
mod qualys_vmdr;
mod rapid7;
mod tenable_sc;
mod tenable_vm;

use rusqlite::{params, OptionalExtension};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::Workspace;
pub use truce_net::sources::{Patience, Step};

/// A source as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct Source {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub url: String,
    pub last_sync_at: Option<String>,
    pub last_result: Option<String>,
    pub last_problem: Option<String>,
    /// The app syncs it every this many hours while open; none: only when asked.
    pub every_hours: Option<u32>,
    /// When a sync was last tried, whatever its end.
    pub last_tried_at: Option<String>,
    /// What part of the scanner it syncs, in the kind's words ([`SourceKind::scope`]); none: all
    /// the credentials may see.
    pub scope: Option<String>,
}

/// A kind of source, as a form to add one asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct SourceKind {
    /// What `truce sources add` takes: "tenable-vm".
    pub name: &'static str,
    /// The product, in its vendor's words.
    pub label: &'static str,
    /// An example of the API's address.
    pub url_hint: &'static str,
    /// What the first credential is called ("Access key", "User name"); none when the source
    /// takes only a secret.
    pub access: Option<&'static str>,
    /// What the secret is called ("Secret key", "API token", "Password").
    pub secret: &'static str,
    /// What a scope is for this kind ("Product name", "Site id"); none: it takes no scope.
    pub scope: Option<&'static str>,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
pub struct SourceSync {
    pub chunks: u32,
    pub findings: u32,
    pub new: u32,
    pub closed: u32,
    pub reopened: u32,
    /// The sync went on from where a killed one stopped.
    pub resumed: bool,
}

/// "2 pages, 500 findings: 3 new, 1 fixed, 0 reopened", as the source's last result says it.
impl std::fmt::Display for SourceSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, {}: {} new, {} fixed, {} reopened",
            counted(self.chunks, "page"),
            counted(self.findings, "finding"),
            self.new,
            self.closed,
            self.reopened
        )
    }
}

/// A source's credentials, as the keyring keeps them for one source: `access_key` is what
/// [`SourceKind::access`] names (empty when the kind takes none), `secret_key` the secret.
pub struct Keys {
    pub access_key: String,
    pub secret_key: String,
}

/// A kind of source: how to check its credentials and how to sync it.
trait Kind: Sync {
    fn about(&self) -> SourceKind;
    /// Checks that `scope` is one this kind understands (the default: any text).
    fn check_scope(&self, _scope: &str) -> Result<()> {
        Ok(())
    }
    /// Checks that the API answers and takes the credentials.
    fn check(&self, source: &Source, keys: &Keys, patience: &Patience) -> Result<()>;
    /// Reads what changed since the cursor (everything when `run.full`), page by page through
    /// [`Run::import`], saving the cursor as it goes.
    fn sync(&self, run: &mut Run<'_>) -> Result<()>;
}

fn kinds_known() -> &'static [&'static dyn Kind] {
    &[
        &tenable_vm::TenableVm,
        &tenable_sc::TenableSc,
        &qualys_vmdr::QualysVmdr,
        &rapid7::Rapid7,
        &defender::Defender,
        &defectdojo::DefectDojo,
    ]
}

/// The kinds of source this build can sync.
pub fn kinds() -> Vec<SourceKind> {
    kinds_known().iter().map(|k| k.about()).collect()
}

fn kind(name: &str) -> Result<&'static dyn Kind> {
    kinds_known()
        .iter()
        .copied()
        .find(|k| k.about().name == name)
        .ok_or_else(|| {
            let names: Vec<_> = kinds().iter().map(|k| k.name).collect();
            Error::Invalid(format!(
                "'{name}' is not a kind of source (one of: {})",
                names.join(", ")
            ))
        })
}

/// Checks that `keys` has what a source of `kind` needs.
pub fn check_keys(kind_name: &str, keys: &Keys) -> Result<()> {
    let about = kind(kind_name)?.about();
    if about.access.is_some() && keys.access_key.trim().is_empty() {
        return Err(Error::Invalid(format!(
            "a {} source needs its {} and its {}",
            about.label,
            about.access.unwrap_or_default().to_lowercase(),
            about.secret.to_lowercase()
        )));
    }
    if keys.secret_key.trim().is_empty() {
        return Err(Error::Invalid(format!(
            "a {} source needs its {}",
            about.label,
            about.secret.to_lowercase()
        )));
    }
    Ok(())
}

/// Adds a source of `kind` named `name` at `url`.
pub fn add(ws: &mut Workspace, kind_name: &str, name: &str, url: &str) -> Result<Source> {
    kind(kind_name)?;
    let name = name.trim();
    if name.is_empty() || name.len() > 100 {
        return Err(Error::Invalid(
            "a source's name is 1 to 100 characters".into(),
        ));
    }
    let url = url.trim().trim_end_matches('/');
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || url.len() > 2000 {
        return Err(Error::Invalid(format!(
            "'{url}' is not the address of an API (https://…)"
        )));
    }
    let id = crate::ids::new_id();
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    let taken: bool = tx
        .query_row("SELECT 1 FROM sources WHERE name = ?1", [name], |_| {
            Ok(true)
        })
        .optional()?
        .unwrap_or(false);
    if taken {
        return Err(Error::Invalid(format!(
            "there is a source named '{name}' already"
        )));
    }
    tx.execute(
        "INSERT INTO sources (id, kind, name, url, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, kind_name, name, url, at],
    )?;
    tx.commit()?;
    get(ws, name)
}

const COLUMNS: &str = "id, kind, name, url, last_sync_at, last_result, last_problem, every_hours, \
     last_tried_at, scope";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Source> {
    Ok(Source {
        id: r.get(0)?,
        kind: r.get(1)?,
        name: r.get(2)?,
        url: r.get(3)?,
        last_sync_at: r.get(4)?,
        last_result: r.get(5)?,
        last_problem: r.get(6)?,
        every_hours: r.get(7)?,
        last_tried_at: r.get(8)?,
        scope: r.get(9)?,
    })
}

/// Every source, by name.
pub fn list(ws: &Workspace) -> Result<Vec<Source>> {
    let mut stmt = ws
        .conn()
        .prepare(&format!("SELECT {COLUMNS} FROM sources ORDER BY name"))?;
    let rows = stmt.query_map([], row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The source named (or with the id) `which`.
pub fn get(ws: &Workspace, which: &str) -> Result<Source> {
    ws.conn()
        .query_row(
            &format!("SELECT {COLUMNS} FROM sources WHERE name = ?1 OR id = ?1"),
            [which.trim()],
            row,
        )
        .optional()?
        .ok_or_else(|| Error::Invalid(format!("no source named '{}'", which.trim())))
}

/// Has the app sync source `which` every `every_hours` hours while it is open (1 to 168), or
/// only when asked (`None`).
pub fn set_schedule(ws: &mut Workspace, which: &str, every_hours: Option<u32>) -> Result<Source> {
    let source = get(ws, which)?;
    if every_hours.is_some_and(|h| !(1..=168).contains(&h)) {
        return Err(Error::Invalid(
            "a source is synced every 1 to 168 hours (a week)".into(),
        ));
    }
    let tx = ws.write_tx()?;
    tx.execute(
        "UPDATE sources SET every_hours = ?2 WHERE id = ?1",
        params![source.id, every_hours],
    )?;
    tx.commit()?;
    get(ws, &source.id)
}

/// Has source `which` sync only `scope` (in its kind's words), or all the credentials may see
/// (`None`). The next sync reads everything in the new scope.
pub fn set_scope(ws: &mut Workspace, which: &str, scope: Option<&str>) -> Result<Source> {
    let source = get(ws, which)?;
    let k = kind(&source.kind)?;
    let scope = scope.map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = scope {
        let Some(what) = k.about().scope else {
            return Err(Error::Invalid(format!(
                "a {} source syncs all its credentials may see: it takes no scope",
                k.about().label
            )));
        };
        if s.len() > 500 {
            return Err(Error::Invalid(format!(
                "a scope ({what}) is at most 500 characters"
            )));
        }
        k.check_scope(s)?;
    }
    let tx = ws.write_tx()?;
    // Another scope is another window: the cursor starts over.
    tx.execute(
        "UPDATE sources SET scope = ?2, cursor = CASE WHEN scope IS ?2 THEN cursor END WHERE id = ?1",
        params![source.id, scope],
    )?;
    tx.commit()?;
    get(ws, &source.id)
}

/// A failed scheduled sync is tried again this long after (unless its schedule is sooner).
const RETRY_AFTER_FAILURE: chrono::Duration = chrono::Duration::hours(1);

/// Whether a scheduled sync of `source` is due at `now`: never for one without a schedule; at
/// once for one never tried; else its interval after the last try, or an hour after a failed one.
pub fn due(source: &Source, now: chrono::DateTime<chrono::Utc>) -> bool {
    let Some(hours) = source.every_hours else {
        return false;
    };
    let Some(tried) = source.last_tried_at.as_deref().and_then(instant) else {
        return true;
    };
    let mut wait = chrono::Duration::hours(i64::from(hours));
    // A success clears the last problem: one that is there is the last try's.
    if source.last_problem.is_some() {
        wait = wait.min(RETRY_AFTER_FAILURE);
    }
    tried + wait <= now
}

/// Removes a source (what it imported stays: findings are facts).
pub fn remove(ws: &mut Workspace, which: &str) -> Result<Source> {
    let source = get(ws, which)?;
    let tx = ws.write_tx()?;
    tx.execute("DELETE FROM sources WHERE id = ?1", [&source.id])?;
    tx.commit()?;
    Ok(source)
}

/// A network failure as the person sees it: the source's name, the address, the problem (never
/// a credential: `truce-net` leaves them out).
fn net(source: &Source) -> impl Fn(truce_net::Failed) -> Error + '_ {
    move |f| {
        if f.cancelled {
            return Error::SyncCancelled {
                name: source.name.clone(),
            };
        }
        Error::Source {
            name: source.name.clone(),
            url: f.url,
            problem: f.problem,
        }
    }
}

/// Checks that the source answers and takes the keys.
pub fn check(ws: &Workspace, which: &str, keys: &Keys, patience: &Patience) -> Result<Source> {
    let source = get(ws, which)?;
    kind(&source.kind)?.check(&source, keys, patience)?;
    Ok(source)
}

fn remember(
    ws: &mut Workspace,
    id: &str,
    result: Option<&str>,
    problem: Option<&str>,
) -> Result<()> {
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    match problem {
        None => tx.execute(
            "UPDATE sources SET last_sync_at = ?2, last_tried_at = ?2, last_result = ?3, last_problem = NULL WHERE id = ?1",
            params![id, at, result],
        )?,
        Some(p) => tx.execute(
            "UPDATE sources SET last_tried_at = ?2, last_problem = ?3 WHERE id = ?1",
            params![id, at, p],
        )?,
    };
    tx.commit()?;
    Ok(())
}

/// One sync of one source, as a kind's module sees it: where to import pages and keep its cursor.
struct Run<'a> {
    ws: &'a mut Workspace,
    source: &'a Source,
    keys: &'a Keys,
    full: bool,
    patience: &'a Patience,
    step: &'a dyn Fn(Step),
    report: &'a mut SourceSync,
}

impl Run<'_> {
    /// The kind's cursor as the last sync left it (the default when there is none, or when it
    /// is one an older build wrote in another shape: the sync then starts over, which is safe).
    fn cursor<T: DeserializeOwned + Default>(&self) -> Result<T> {
        let text: Option<String> = self.ws.conn().query_row(
            "SELECT cursor FROM sources WHERE id = ?1",
            [&self.source.id],
            |r| r.get(0),
        )?;
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    fn save_cursor<T: Serialize>(&mut self, c: &T) -> Result<()> {
        let text = serde_json::to_string(c).expect("a cursor serializes");
        let tx = self.ws.write_tx()?;
        tx.execute(
            "UPDATE sources SET cursor = ?2 WHERE id = ?1",
            params![self.source.id, text],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Imports one page (`what` names it: "export … chunk 3") as `format`, in one transaction.
    fn import(&mut self, what: &str, bytes: &[u8], format: &str) -> Result<()> {
        let name = format!("{} {what}", self.source.name);
        let shown = format!("source '{}' ({name})", self.source.name);
        let r = crate::ingest::import_page(self.ws, &shown, &name, bytes, format)?;
        self.report.chunks += 1;
        self.report.findings += r.findings;
        self.report.new += r.new;
        self.report.closed += r.closed;
        self.report.reopened += r.reopened;
        (self.step)(Step::Landed {
            pages: self.report.chunks,
            findings: self.report.findings,
        });
        Ok(())
    }

    fn failed(&self) -> impl Fn(truce_net::Failed) -> Error + '_ {
        net(self.source)
    }
}

/// Syncs source `which`: what changed since its last sync (everything when `full`, or the first
/// time), page by page, each imported in one transaction. `step` hears how it goes.
pub fn sync(
    ws: &mut Workspace,
    which: &str,
    keys: &Keys,
    full: bool,
    patience: &Patience,
    step: &dyn Fn(Step),
) -> Result<SourceSync> {
    let source = get(ws, which)?;
    let mut report = SourceSync::default();
    let mut result = kind(&source.kind).and_then(|k| {
        k.sync(&mut Run {
            ws,
            source: &source,
            keys,
            full,
            patience,
            step,
            report: &mut report,
        })
    });
    // As after a file's import: once planning is in use, what came in joins its work items,
    // also when the sync stopped midway (what it imported stays).
    if report.chunks > 0 {
        if let Err(e) = crate::planning::grouping::regroup_if_planning(ws) {
            result = result.and(Err(Error::Invalid(format!(
                "source '{}': the findings were imported but did not join work items: {e}",
                source.name
            ))));
        }
    }
    let result = result.map(|()| report);
    let said = match &result {
        Ok(r) => remember(ws, &source.id, Some(&r.to_string()), None),
        Err(e) => remember(ws, &source.id, None, Some(&e.to_string())),
    };
    let report = result?;
    said?;
    Ok(report)
}

fn counted(n: u32, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// A scope of ids ("1234,5678"): numbers separated by commas.
fn ids_only(scope: &str) -> Result<()> {
    if scope
        .split(',')
        .all(|id| !id.trim().is_empty() && id.trim().bytes().all(|b| b.is_ascii_digit()))
    {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "'{scope}' is not a list of ids (1234,5678)"
        )))
    }
}

/// An RFC 3339 time (a cursor's, a vendor's), in UTC.
fn instant(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.to_utc())
}

/// Unix seconds as the kinds' cursors keep them.
fn now_seconds(ws: &Workspace) -> i64 {
    ws.now().timestamp()
}

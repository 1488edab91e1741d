//! Importing a file: choosing its format, recognising a file imported before, and the
//! two-thread pipeline (parser here, [`Writer`] on its own thread) that commits one
//! transaction per file, so a bad file or a kill mid-import leaves the workspace as it was.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender};

use rusqlite::{params, OptionalExtension};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::evidence::{self, Evidence, KnownHashes};
use super::writer::Writer;
use super::{choose_format_in, Format, ParsedAsset};
use crate::error::{Error, Result};
use crate::model::ImportReport;
use crate::workspace::Workspace;

/// Imports one file; `format` overrides detection.
pub fn import_file(ws: &mut Workspace, path: &Path, format: Option<&str>) -> Result<ImportReport> {
    import_file_with_progress(ws, path, format, &|_, _| {})
}

/// Like [`import_file`], calling `progress(bytes_read, file_size)` as the file is read
/// (about every megabyte, from the parsing thread).
pub fn import_file_with_progress(
    ws: &mut Workspace,
    path: &Path,
    format: Option<&str>,
    progress: &dyn Fn(u64, u64),
) -> Result<ImportReport> {
    let shown = path.display().to_string();
    crate::files::readable(path)?;
    let file = File::open(path).map_err(|e| Error::Unreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(bad(&shown, "byte 0", "is a folder, not a report file"));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or(shown.clone());
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    if let Some(report) = same_file_again(ws, path, &shown, total, format)? {
        progress(total, total);
        return Ok(report);
    }
    let counting = CountingReader {
        inner: file,
        read: 0,
        reported: 0,
        total,
        progress,
    };
    let mut input = BufReader::with_capacity(256 * 1024, counting);
    let report = import_reader(ws, &shown, &name, &mut input, format)?;
    progress(total, total);
    Ok(report)
}

/// Whether the head of a file is the start of a JSON document.
fn looks_like_json(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    matches!(
        head.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{' | b'[')
    )
}

/// A JSON file no format recognised may just be cut short before the part that names its
/// scanner: read it through (in constant memory) and say so, with where it ends. None when
/// the document is whole (then it really is a format Truce does not read) or broken otherwise.
fn cut_json(shown: &str, input: &mut dyn BufRead) -> Option<Error> {
    let mut de = serde_json::Deserializer::from_reader(input);
    match serde::de::IgnoredAny::deserialize(&mut de) {
        Err(e) if e.is_eof() => Some(bad(
            shown,
            &format!("line {}, column {}", e.line(), e.column()),
            "truncated JSON: the file ends before it says which scanner's report it is \
             (a download or copy cut short?)",
        )),
        _ => None,
    }
}

/// Imports from any reader. `shown` names the input in messages, `name` is what the import list shows.
///
/// Parsing (and hashing) runs on this thread while a second thread writes to SQLite, so the
/// two halves of an import overlap on a multi-core machine. The writer's transaction commits
/// only after the parser reached the end of the file without error.
pub fn import_reader(
    ws: &mut Workspace,
    shown: &str,
    name: &str,
    input: &mut dyn BufRead,
    format: Option<&str>,
) -> Result<ImportReport> {
    read_into(ws, shown, name, input, format, true)
}

/// Imports one page a source got from an API (held in memory), as [`import_reader`] imports a
/// file. A page is small: compressing all of its evidence costs less than first reading every
/// evidence hash the workspace holds, which a sync of hundreds of pages into a big workspace
/// would otherwise do for each.
pub fn import_page(
    ws: &mut Workspace,
    shown: &str,
    name: &str,
    page: &[u8],
    format: &str,
) -> Result<ImportReport> {
    let mut input = std::io::Cursor::new(page);
    read_into(ws, shown, name, &mut input, Some(format), false)
}

#[tracing::instrument(target = "truce::import", name = "import", skip_all, fields(file = %shown))]
fn read_into(
    ws: &mut Workspace,
    shown: &str,
    name: &str,
    input: &mut dyn BufRead,
    format: Option<&str>,
    known_evidence: bool,
) -> Result<ImportReport> {
    let head = input
        .fill_buf()
        .map_err(|e| bad(shown, "byte 0", &format!("cannot read: {e}")))?;
    let head = head[..head.len().min(64 * 1024)].to_vec();
    // A mapped CSV format is built from the workspace: it lives for this call only.
    let chosen = match choose_format_in(ws.conn(), shown, format, &head) {
        Err(e @ Error::UnknownFormat { .. }) if looks_like_json(&head) => {
            return Err(cut_json(shown, input).unwrap_or(e));
        }
        other => other?,
    };
    let fmt = chosen.format();
    let actor = ws.actor().to_string();
    let (send, recv) = std::sync::mpsc::sync_channel::<Message>(64);
    ws.defer_checkpoints(true)?;
    let result = std::thread::scope(|scope| {
        let actor = actor.as_str();
        let ws = &mut *ws;
        let known = KnownHashes::default();
        let knows = known.clone();
        let writer = scope.spawn(move || {
            write(
                ws,
                fmt,
                name,
                shown,
                actor,
                recv,
                known_evidence.then_some(knows),
            )
        });
        match parse(fmt, shown, input, &send, &known) {
            Ok((sha, size)) => {
                // If the writer failed already, this send fails and its error is reported below.
                let _ = send.send(Message::Done(sha, size));
                drop(send);
                writer.join().expect("import writer panicked")
            }
            Err(parse_error) => {
                drop(send); // the writer sees the end without Done and rolls back
                let written = writer.join().expect("import writer panicked");
                match written {
                    // The parser only stopped because the writer failed: the writer's error says why.
                    Err(write_error) if is_stopped(&parse_error) => Err(write_error),
                    _ => Err(parse_error),
                }
            }
        }
    });
    ws.defer_checkpoints(false)?;
    result
}

enum Message {
    /// A target and its findings' evidence, packed here on the parser's thread.
    Asset(ParsedAsset, Vec<Option<Evidence>>),
    /// The parser reached the end; the file's SHA-256 and size.
    Done(String, u64),
}

fn is_stopped(e: &Error) -> bool {
    matches!(e, Error::Stopped(_))
}

fn parse(
    fmt: &dyn Format,
    shown: &str,
    input: &mut dyn BufRead,
    send: &SyncSender<Message>,
    known: &KnownHashes,
) -> Result<(String, u64)> {
    let mut hashing = HashingReader {
        inner: input,
        hasher: Sha256::new(),
        size: 0,
    };
    let mut packer = evidence::Packer::new();
    fmt.parse(shown, &mut hashing, &mut |mut asset| {
        too_long_key(shown, &asset)?;
        let evidence = asset
            .findings
            .iter_mut()
            .map(|f| {
                f.evidence
                    .take()
                    .map(|text| evidence::prepare(text, known, &mut packer))
            })
            .collect();
        send.send(Message::Asset(asset, evidence))
            .map_err(|_| truce_parsers::Error::Stopped(shown.to_string()))
    })?;
    // Drain what the parser did not need, so the hash covers the whole file.
    std::io::copy(&mut hashing, &mut std::io::sink())
        .map_err(|e| bad(shown, "end", &e.to_string()))?;
    Ok((hex(&hashing.hasher.finalize()), hashing.size))
}

/// The longest key Truce keeps (an asset's name or address, a vulnerability's id, a finding's
/// place). Keys are compared on every lookup of an import: a tool name of megabytes made a SARIF
/// import take minutes.
pub const MAX_KEY_BYTES: usize = 1024;

/// Refuses a target whose keys are longer than [`MAX_KEY_BYTES`], naming it and the key.
fn too_long_key(shown: &str, asset: &ParsedAsset) -> std::result::Result<(), truce_parsers::Error> {
    let label: String = asset.label.chars().take(60).collect();
    let refuse = |what: String, len: usize| truce_parsers::Error::BadInput {
        file: shown.to_string(),
        position: format!("target '{label}'"),
        problem: format!(
            "{what} is {len} bytes long; Truce keeps keys of at most {MAX_KEY_BYTES} bytes"
        ),
    };
    for (kind, value) in &asset.identifiers {
        if value.len() > MAX_KEY_BYTES {
            return Err(refuse(format!("its {} key", kind.as_str()), value.len()));
        }
    }
    for f in &asset.findings {
        if f.scanner_id.len() > MAX_KEY_BYTES {
            return Err(refuse("a vulnerability id".into(), f.scanner_id.len()));
        }
        if f.location.len() > MAX_KEY_BYTES {
            return Err(refuse("a finding's place".into(), f.location.len()));
        }
    }
    Ok(())
}

fn write(
    ws: &mut Workspace,
    fmt: &dyn Format,
    name: &str,
    shown: &str,
    actor: &str,
    recv: Receiver<Message>,
    known: Option<KnownHashes>,
) -> Result<ImportReport> {
    let tx = ws.write_tx()?;
    let mut writer = Writer::start(&tx, fmt, name, actor)?;
    // Set once; the parser packs everything until it is (or for good, without it).
    if let Some(known) = known {
        let _ = known.set(evidence::known_hashes(&tx)?);
    }
    let (sha, size) = loop {
        match recv.recv() {
            Ok(Message::Asset(asset, evidence)) => writer.host(&tx, asset, evidence)?,
            Ok(Message::Done(sha, size)) => break (sha, size),
            // The parser failed: dropping `tx` rolls everything back.
            Err(_) => return Err(Error::Invalid("parse failed".into())),
        }
    };
    let already: Option<String> = tx
        .query_row(
            "SELECT id FROM imports WHERE file_sha256 = ?1 AND format = ?2",
            params![sha, fmt.name()],
            |r| r.get(0),
        )
        .optional()?;
    if already.is_some() {
        // The same file again changes nothing: drop this transaction's work.
        let mut report = writer.report(shown, fmt);
        tx.rollback()?;
        report.unchanged += report.new + report.reopened;
        report.new = 0;
        report.reopened = 0;
        report.closed = 0; // verdicts applied by this file were rolled back with it
        return Ok(report);
    }
    if fmt.closes_missing() {
        writer.close_missing(&tx)?;
    }
    let report = writer.report(shown, fmt);
    writer.finish(&tx, &sha, size, &report)?;
    // What the file brought in is checked against the last KEV catalog read, even offline.
    let at = crate::changes::now(&tx)?;
    crate::kev::flag(&tx)?;
    // Done items whose findings this rescan confirmed fixed become verified (only done items are read).
    crate::planning::verify_done_items(&tx, actor, &at)?;
    // Items whose findings this file closed or reopened get their aggregates recounted.
    crate::planning::stats::refresh(&tx)?;
    tx.commit()?;
    tracing::info!(
        target: "truce::import",
        format = fmt.name(),
        assets = report.assets,
        findings = report.findings,
        new = report.new,
        closed = report.closed,
        "imported"
    );
    Ok(report)
}

/// The report of a file imported before, byte for byte: such an import changes nothing, so it
/// is answered without parsing. Only files of a size seen before are hashed. A forced
/// `format` must be the one it was imported as, else the file is read (and judged) anew.
fn same_file_again(
    ws: &Workspace,
    path: &Path,
    shown: &str,
    size: u64,
    format: Option<&str>,
) -> Result<Option<ImportReport>> {
    let seen: i64 = ws.conn().query_row(
        "SELECT count(*) FROM imports WHERE file_size = ?1",
        [size as i64],
        |r| r.get(0),
    )?;
    if seen == 0 {
        return Ok(None);
    }
    let mut hasher = Sha256::new();
    let mut file = File::open(path).map_err(|e| Error::Unreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    std::io::copy(&mut file, &mut hasher).map_err(|e| Error::Unreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    let sha = hex(&hasher.finalize());
    let row: Option<(String, u32, u32, Option<String>)> = ws
        .conn()
        .query_row(
            "SELECT format, assets, findings, by_severity FROM imports WHERE file_size = ?1 AND file_sha256 = ?2
                AND (?3 IS NULL OR format = ?3 COLLATE NOCASE)
             ORDER BY imported_at DESC LIMIT 1",
            params![size as i64, sha, format],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    Ok(
        row.map(|(format, assets, findings, by_severity)| ImportReport {
            file: shown.to_string(),
            format,
            assets,
            findings,
            unchanged: findings,
            by_severity: by_severity
                .and_then(|j| serde_json::from_str(&j).ok())
                .unwrap_or_default(),
            ..ImportReport::default()
        }),
    )
}

struct CountingReader<'a> {
    inner: File,
    read: u64,
    reported: u64,
    total: u64,
    progress: &'a dyn Fn(u64, u64),
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read - self.reported >= 1 << 20 {
            self.reported = self.read;
            (self.progress)(self.read, self.total);
        }
        Ok(n)
    }
}

struct HashingReader<'a> {
    inner: &'a mut dyn BufRead,
    hasher: Sha256,
    size: u64,
}

impl Read for HashingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

impl BufRead for HashingReader<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = amt.min(buf.len());
            self.hasher.update(&buf[..n]);
            self.size += n as u64;
        }
        self.inner.consume(amt);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A problem at `position` of `file`, as the parsers word it.
fn bad(file: &str, position: &str, problem: &str) -> Error {
    truce_parsers::bad(file, position, problem).into()
}

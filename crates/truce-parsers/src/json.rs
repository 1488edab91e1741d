//! Shared JSON plumbing for the JSON formats: turning serde_json errors into `BadInput`
//! with a line and column, a sniffing skeleton of a (possibly cut) document head, and the
//! small conversions every image scanner needs (times, CVE ids, CVSS bands).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::utc_text;
use crate::{bad, IdentifierKind, ParsedFinding};

/// What the parser's own visitor says when the writer refused an asset: the real error is kept aside.
pub const ABORTED: &str = "import aborted by the writer";

/// `err` as the user sees it: "file: line L, column C: problem". `aborted` is the writer's
/// error when the parse stopped because of it.
pub fn error(file: &str, err: serde_json::Error, aborted: Option<Error>) -> Error {
    if let Some(e) = aborted {
        return e;
    }
    use serde_json::error::Category;
    let position = format!("line {}, column {}", err.line(), err.column());
    let text = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    let problem = match err.classify() {
        Category::Eof => {
            format!("truncated JSON: the file ends before the report does ({message})")
        }
        Category::Syntax => format!("malformed JSON: {message}"),
        Category::Data => message.to_string(),
        Category::Io => format!("cannot read: {message}"),
    };
    bad(file, &position, &problem)
}

/// An RFC 3339 time with any offset as RFC 3339 UTC, or None when it is not one.
pub fn utc(text: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| utc_text(t.with_timezone(&Utc)))
}

pub use crate::cve::cve;

pub fn push_unique(list: &mut Vec<String>, value: String) {
    if !list.contains(&value) {
        list.push(value);
    }
}

/// The outline of the start of a JSON document, for sniffing: the root's kind, every key
/// path down to a few levels ("matches/[]/artifact": array elements are "[]"), and the
/// string values of shallow keys. Works on a head cut anywhere: it just stops.
#[derive(Debug, Default)]
pub struct Skeleton {
    /// b'{', b'[', b'n' (the literal null) or 0 for anything else.
    pub root: u8,
    pub paths: HashSet<String>,
    pub values: HashMap<String, String>,
}

impl Skeleton {
    pub fn has(&self, path: &str) -> bool {
        self.paths.contains(path)
    }

    pub fn value(&self, path: &str) -> Option<&str> {
        self.values.get(path).map(String::as_str)
    }
}

enum Frame {
    Object { key: Option<String>, want_key: bool },
    Array,
}

/// Reads the outline of `head` down to `depth` levels of keys.
pub fn skeleton(head: &[u8], depth: usize) -> Skeleton {
    let mut sk = Skeleton::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    if head.starts_with(b"\xEF\xBB\xBF") {
        i = 3;
    }
    while i < head.len() && head[i].is_ascii_whitespace() {
        i += 1;
    }
    match head.get(i) {
        Some(b'{') => sk.root = b'{',
        Some(b'[') => sk.root = b'[',
        Some(b'n') => {
            let rest = &head[i..];
            if rest.starts_with(b"null") && rest[4..].iter().all(u8::is_ascii_whitespace) {
                sk.root = b'n';
            }
            return sk;
        }
        _ => return sk,
    }
    let path = |stack: &[Frame]| -> String {
        let parts: Vec<&str> = stack
            .iter()
            .map(|f| match f {
                Frame::Object { key, .. } => key.as_deref().unwrap_or(""),
                Frame::Array => "[]",
            })
            .collect();
        parts.join("/")
    };
    // A value just ended: the enclosing object now wants its next key.
    let value_done = |stack: &mut Vec<Frame>| {
        if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
            *want_key = true;
        }
    };
    while i < head.len() {
        let b = head[i];
        match b {
            b'{' => {
                stack.push(Frame::Object {
                    key: None,
                    want_key: true,
                });
                i += 1;
            }
            b'[' => {
                stack.push(Frame::Array);
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                if stack.is_empty() {
                    return sk;
                }
                value_done(&mut stack);
                i += 1;
            }
            b'"' => {
                let Some((text, end)) = string_at(head, i) else {
                    return sk; // cut inside a string
                };
                i = end;
                let is_key = matches!(stack.last(), Some(Frame::Object { want_key: true, .. }));
                if is_key {
                    if let Some(Frame::Object { key, want_key }) = stack.last_mut() {
                        *key = Some(text);
                        *want_key = false;
                    }
                    if stack.len() <= depth {
                        sk.paths.insert(path(&stack));
                    }
                } else {
                    if stack.len() <= depth {
                        sk.values.entry(path(&stack)).or_insert(text);
                    }
                    value_done(&mut stack);
                }
            }
            b',' | b':' => i += 1,
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                // A number, true, false or null.
                while i < head.len() && !b",}] \t\r\n".contains(&head[i]) {
                    i += 1;
                }
                value_done(&mut stack);
            }
        }
    }
    sk
}

/// The string starting at the quote `head[start]` (escapes simplified) and the index after
/// its closing quote, or None when the head ends first.
fn string_at(head: &[u8], start: usize) -> Option<(String, usize)> {
    let mut out = Vec::new();
    let mut i = start + 1;
    while i < head.len() {
        match head[i] {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), i + 1)),
            b'\\' => {
                let esc = *head.get(i + 1)?;
                match esc {
                    b'u' => {
                        head.get(i + 2..i + 6)?;
                        out.push(b'?');
                        i += 6;
                    }
                    b'n' => {
                        out.push(b'\n');
                        i += 2;
                    }
                    b't' => {
                        out.push(b'\t');
                        i += 2;
                    }
                    other => {
                        out.push(other);
                        i += 2;
                    }
                }
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    None
}

// ---- helpers shared by the image scanners ----

pub fn push_id(ids: &mut Vec<(IdentifierKind, String)>, kind: IdentifierKind, value: &str) {
    let value = value.trim();
    if !value.is_empty() && !ids.iter().any(|(k, v)| *k == kind && v == value) {
        ids.push((kind, value.to_string()));
    }
}

/// "sha256:..." from "repo@sha256:..." or "sha256:...", lower-cased; None for anything else.
pub fn digest(text: &str) -> Option<String> {
    let d = text.trim();
    let d = d.rsplit_once('@').map_or(d, |(_, d)| d);
    let (algo, hex) = d.split_once(':')?;
    let ok = !algo.is_empty()
        && !hex.is_empty()
        && algo.bytes().all(|b| b.is_ascii_alphanumeric())
        && hex.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| d.to_ascii_lowercase())
}

/// One artifact's findings, repeats merged on (scanner id, location) with their evidence joined.
#[derive(Default)]
pub struct Findings {
    list: Vec<ParsedFinding>,
    index: HashMap<(String, String), usize>,
}

impl Findings {
    pub fn add(&mut self, f: ParsedFinding) {
        let key = (f.scanner_id.clone(), f.location.clone());
        match self.index.get(&key) {
            Some(&i) => merge_evidence(&mut self.list[i], f.evidence),
            None => {
                self.index.insert(key, self.list.len());
                self.list.push(f);
            }
        }
    }

    pub fn into_vec(self) -> Vec<ParsedFinding> {
        self.list
    }
}

/// Adds the lines of `more` that `f`'s evidence does not have yet.
pub fn merge_evidence(f: &mut ParsedFinding, more: Option<String>) {
    let Some(more) = more else { return };
    let evidence = f.evidence.get_or_insert_with(String::new);
    for line in more.lines() {
        if !evidence.lines().any(|l| l == line) {
            if !evidence.is_empty() {
                evidence.push('\n');
            }
            evidence.push_str(line);
        }
    }
}

pub fn text(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// "name@version", or what there is of it.
pub fn location(name: &str, version: &str, fallback: &str) -> String {
    match (name.is_empty(), version.is_empty()) {
        (false, false) => format!("{name}@{version}"),
        (false, true) => name.to_string(),
        (true, _) => fallback.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_reads_keys_values_and_stops_at_a_cut() {
        let doc = br#"{"matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": {"name": "a\"b"}}, {"x": 1}], "descriptor": {"name": "grype", "v": [1, 2]}, "cut": "abc"#;
        let sk = skeleton(doc, 3);
        assert_eq!(sk.root, b'{');
        for p in [
            "matches",
            "matches/[]/vulnerability",
            "matches/[]/artifact",
            "matches/[]/x",
            "descriptor/name",
            "descriptor/v",
            "cut",
        ] {
            assert!(sk.has(p), "{p}: {:?}", sk.paths);
        }
        assert!(!sk.has("matches/[]/vulnerability/id"), "deeper than asked");
        assert_eq!(sk.value("descriptor/name"), Some("grype"));
        assert_eq!(sk.value("cut"), None);
    }

    #[test]
    fn skeleton_roots() {
        assert_eq!(skeleton(b" null\n", 2).root, b'n');
        assert_eq!(skeleton(b"nullx", 2).root, 0);
        assert_eq!(skeleton(b"[{\"Target\": 1}]", 2).root, b'[');
        assert!(skeleton(b"[{\"Target\": 1}]", 2).has("[]/Target"));
        assert_eq!(skeleton(b"<xml/>", 2).root, 0);
    }

    #[test]
    fn times_become_utc() {
        assert_eq!(
            utc("2026-01-21T10:19:22.484900675+01:00").as_deref(),
            Some("2026-01-21T09:19:22.484Z")
        );
        assert_eq!(utc("yesterday"), None);
    }
}

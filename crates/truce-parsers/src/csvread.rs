//! Shared CSV plumbing for the CSV formats: delimiter detection on the header row,
//! columns found by name (case-insensitive, several spellings), a bound on the size of
//! one row, and the checks that catch most truncated files.

use std::cell::Cell;
use std::io::{BufRead, Read};
use std::rc::Rc;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::bad;
use crate::error::{Error, Result};

/// One row larger than this is refused: real rows are a few KB (plugin output can reach
/// a few MB), and it bounds memory for a hostile file that never closes a quote.
pub const MAX_ROW: usize = 32 * 1024 * 1024;

/// The header row of `head` (first 64 KB of the file), split on `delimiter`, trimmed and
/// lower-cased. None when the head is not text or has no complete first line.
pub fn header_fields(head: &[u8], delimiter: u8) -> Option<Vec<String>> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = std::str::from_utf8(&head[..end]).ok()?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut rec = csv::StringRecord::new();
    if !rdr.read_record(&mut rec).ok()? {
        return None;
    }
    Some(rec.iter().map(normalize).collect())
}

pub fn normalize(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// A header row mapped to column positions.
pub struct Header {
    names: Vec<String>,
}

impl Header {
    pub fn new(names: Vec<String>) -> Header {
        Header { names }
    }

    /// The position of the first of `aliases` (already lower-case) present in the header.
    pub fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases
            .iter()
            .find_map(|a| self.names.iter().position(|n| n == a))
    }

    /// Every alias present, in the order given.
    pub fn find_all(&self, aliases: &[&str]) -> Vec<usize> {
        aliases
            .iter()
            .filter_map(|a| self.names.iter().position(|n| n == a))
            .collect()
    }
}

/// Counts what the CSV reader pulls from the input: bytes since the last row (to bound a
/// row's size) and double quotes (an odd count at the end means the file stops inside a
/// quoted field, which the CSV reader itself accepts silently).
struct Counting<'a> {
    inner: &'a mut dyn BufRead,
    since_row: Rc<Cell<usize>>,
    quotes: Rc<Cell<u64>>,
}

impl Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_row.get() > MAX_ROW {
            return Err(std::io::Error::other(format!(
                "a row is larger than {} MB",
                MAX_ROW / (1024 * 1024)
            )));
        }
        let n = self.inner.read(buf)?;
        self.since_row.set(self.since_row.get() + n);
        let q = buf[..n].iter().filter(|&&b| b == b'"').count() as u64;
        self.quotes.set(self.quotes.get() + q);
        Ok(n)
    }
}

/// Rows of a CSV file with a header row, with errors that name the file and line.
pub struct Rows<'a> {
    file: &'a str,
    rdr: csv::Reader<Counting<'a>>,
    since_row: Rc<Cell<usize>>,
    quotes: Rc<Cell<u64>>,
    pub header: Header,
    width: usize,
    record: csv::StringRecord,
    last_line: u64,
}

impl<'a> Rows<'a> {
    /// Rows whose header is the first line.
    pub fn open(file: &'a str, input: &'a mut dyn BufRead, delimiter: u8) -> Result<Rows<'a>> {
        Rows::open_with(file, input, delimiter, 1, &|_| true)
    }

    /// Rows whose header is the first of the first `within` lines that `is_header` accepts
    /// (some exports put a report title and company lines first).
    pub fn open_with(
        file: &'a str,
        input: &'a mut dyn BufRead,
        delimiter: u8,
        within: u64,
        is_header: &dyn Fn(&[String]) -> bool,
    ) -> Result<Rows<'a>> {
        let since_row = Rc::new(Cell::new(0));
        let quotes = Rc::new(Cell::new(0));
        let counting = Counting {
            inner: input,
            since_row: since_row.clone(),
            quotes: quotes.clone(),
        };
        // Row widths are checked here, not by the reader, so preamble lines may differ.
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(counting);
        let mut record = csv::StringRecord::new();
        let names = loop {
            let more = rdr
                .read_record(&mut record)
                .map_err(|e| csv_error(file, 1, e))?;
            let line = record.position().map(|p| p.line()).unwrap_or(1);
            if !more || line > within {
                return Err(bad(
                    file,
                    &format!("line {}", line.min(within)),
                    "no column header row where one was expected",
                ));
            }
            let names: Vec<String> = record.iter().map(normalize).collect();
            if is_header(&names) {
                break names;
            }
        };
        since_row.set(0);
        let width = names.len();
        let last_line = record.position().map(|p| p.line()).unwrap_or(1);
        Ok(Rows {
            file,
            rdr,
            since_row,
            quotes,
            header: Header::new(names),
            width,
            record,
            last_line,
        })
    }

    /// The next row that is not entirely empty, and its line number; None at the end.
    pub fn next(&mut self) -> Result<Option<(u64, &csv::StringRecord)>> {
        loop {
            let more = self
                .rdr
                .read_record(&mut self.record)
                .map_err(|e| csv_error(self.file, self.last_line + 1, e))?;
            self.since_row.set(0);
            if !more {
                if self.quotes.get() % 2 == 1 {
                    return Err(bad(
                        self.file,
                        &format!("line {}", self.last_line),
                        "the file ends inside a quoted field (truncated?)",
                    ));
                }
                return Ok(None);
            }
            let line = self
                .record
                .position()
                .map(|p| p.line())
                .unwrap_or(self.last_line + 1);
            self.last_line = line;
            if self.record.len() != self.width {
                return Err(bad(
                    self.file,
                    &format!("line {line}"),
                    &format!(
                        "the row has {} fields, the header has {} (truncated?)",
                        self.record.len(),
                        self.width
                    ),
                ));
            }
            // Spreadsheets pad exports with rows of empty cells.
            if self.record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            return Ok(Some((line, &self.record)));
        }
    }
}

fn csv_error(file: &str, fallback_line: u64, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line()).unwrap_or(fallback_line);
    let problem = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "invalid UTF-8 (export the CSV as UTF-8)".to_string(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("the row has {len} fields, the header has {expected_len} (truncated?)"),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => format!("malformed CSV: {e}"),
    };
    bad(file, &format!("line {line}"), &problem)
}

/// A field's text, trimmed; None when empty.
pub fn cell(rec: &csv::StringRecord, col: Option<usize>) -> Option<&str> {
    col.and_then(|c| rec.get(c))
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A time as exports write it: RFC 3339 ('2023-06-08T01:58:56.166Z'), or Tenable.sc's
/// 'Feb 9, 2024 10:48:42 UTC' with a zone abbreviation. Unknown zones give None: a time
/// off by hours is worse than none.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let (rest, zone) = text.rsplit_once(' ')?;
    let offset_hours: i64 = match zone.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" => 0,
        "EST" => -5,
        "EDT" => -4,
        "CST" => -6,
        "CDT" => -5,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        _ => return None,
    };
    let naive = NaiveDateTime::parse_from_str(rest.trim(), "%b %e, %Y %H:%M:%S").ok()?;
    let utc = naive - chrono::Duration::hours(offset_hours);
    Utc.from_local_datetime(&utc).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<String> {
        parse_time(s).map(crate::utc_text)
    }

    #[test]
    fn export_times_are_read_in_utc() {
        assert_eq!(
            at("2023-06-08T01:58:56.166Z").as_deref(),
            Some("2023-06-08T01:58:56.166Z")
        );
        assert_eq!(
            at("Feb 9, 2024 10:48:42 UTC").as_deref(),
            Some("2024-02-09T10:48:42.000Z")
        );
        assert_eq!(
            at("Jan 5, 2021 10:24:08 MST").as_deref(),
            Some("2021-01-05T17:24:08.000Z")
        );
        assert_eq!(
            at("Aug 18, 2004 12:00:00 MDT").as_deref(),
            Some("2004-08-18T18:00:00.000Z")
        );
        // Unknown zone or shape: no time rather than a wrong one.
        assert_eq!(at("Feb 9, 2024 10:48:42 CET"), None);
        assert_eq!(at("05/25/2021 07:36:58"), None);
        assert_eq!(at("N/A"), None);
    }

    #[test]
    fn header_fields_are_found_with_either_separator() {
        let h = header_fields(b"\xEF\xBB\xBF\"Plugin ID\", Risk ,Host\r\n1,2,3", b',').unwrap();
        assert_eq!(h, ["plugin id", "risk", "host"]);
        let h = header_fields(b"definition.id;port\n", b';').unwrap();
        assert_eq!(h, ["definition.id", "port"]);
        assert_eq!(header_fields(b"\xFF\xFE<x", b','), None);
    }
}

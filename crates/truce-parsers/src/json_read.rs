//! Helpers of the SARIF and Defender readers: sniffing keys in the first bytes of a JSON
//! object, reading a whole document with serde, and finding CVE ids in free text.

use std::io::{BufRead, Read};

use serde::de::DeserializeOwned;

use crate::bad;
use crate::error::{Error, Result};

/// The head without a UTF-8 byte order mark and leading whitespace, if it starts a JSON object.
pub(crate) fn object_head(head: &[u8]) -> Option<&[u8]> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    (head[start] == b'{').then_some(&head[start..])
}

/// Whether `"key"` occurs followed by optional whitespace and a colon (a key, not a value).
pub(crate) fn has_key(head: &[u8], key: &str) -> bool {
    let needle = format!("\"{key}\"");
    let needle = needle.as_bytes();
    let mut from = 0;
    while let Some(i) = find(&head[from..], needle) {
        let after = from + i + needle.len();
        let rest = &head[after..];
        if let Some(b) = rest.iter().find(|b| !b.is_ascii_whitespace()) {
            if *b == b':' {
                return true;
            }
        }
        from = after;
    }
    false
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The largest JSON document read whole (SARIF, Defender, OpenVEX, CycloneDX JSON): what it
/// holds stays in memory until it is stored, so its size is memory. The same limit as a
/// Defender archive's contents; the formats Truce streams (Trivy, Grype, XML, CSV) have none.
pub const MAX_DOCUMENT: u64 = 512 * 1024 * 1024;

/// Reads one JSON document of type `T`; `what` names the expected content in messages
/// ("a SARIF log"). Skips a UTF-8 byte order mark.
pub(crate) fn read<T: DeserializeOwned>(
    file: &str,
    input: &mut dyn BufRead,
    what: &str,
) -> Result<T> {
    read_within(file, input, what, MAX_DOCUMENT)
}

/// [`read`], refusing a document past `limit` bytes while it is read.
fn read_within<T: DeserializeOwned>(
    file: &str,
    input: &mut dyn BufRead,
    what: &str,
    limit: u64,
) -> Result<T> {
    let buf = input
        .fill_buf()
        .map_err(|e| bad(file, "byte 0", &format!("cannot read: {e}")))?;
    if buf.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
    }
    let whole = Whole {
        inner: input,
        read: 0,
        limit,
    };
    let mut de = serde_json::Deserializer::from_reader(CappedStrings::new(whole));
    let value = T::deserialize(&mut de).map_err(|e| json_error(file, &e, what))?;
    de.end().map_err(|e| json_error(file, &e, what))?;
    Ok(value)
}

/// Reads a JSON array of `T` one element at a time, handing each to `each` as soon as it is
/// read, so memory holds one element however long the array, and what comes first is on its way
/// while the rest is read. `what` names the expected content in messages. An error of `each`
/// stops the reading and is answered as it is.
pub(crate) fn each<T: DeserializeOwned>(
    file: &str,
    input: &mut dyn BufRead,
    what: &str,
    each: &mut dyn FnMut(T) -> Result<()>,
) -> Result<()> {
    let buf = input
        .fill_buf()
        .map_err(|e| bad(file, "byte 0", &format!("cannot read: {e}")))?;
    if buf.starts_with(b"\xEF\xBB\xBF") {
        input.consume(3);
    }
    let whole = Whole {
        inner: input,
        read: 0,
        limit: u64::MAX,
    };
    let mut de = serde_json::Deserializer::from_reader(CappedStrings::new(whole));
    let mut stopped = None;
    let read = serde::Deserializer::deserialize_seq(
        &mut de,
        Elements {
            each,
            stopped: &mut stopped,
            element: std::marker::PhantomData,
        },
    );
    if let Some(e) = stopped {
        return Err(e);
    }
    read.map_err(|e| json_error(file, &e, what))?;
    de.end().map_err(|e| json_error(file, &e, what))
}

struct Elements<'a, T> {
    each: &'a mut dyn FnMut(T) -> Result<()>,
    stopped: &'a mut Option<Error>,
    element: std::marker::PhantomData<T>,
}

impl<'de, T: DeserializeOwned> serde::de::Visitor<'de> for Elements<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<(), A::Error> {
        while let Some(element) = seq.next_element::<T>()? {
            if let Err(e) = (self.each)(element) {
                *self.stopped = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// A document read whole, refused past its limit while it is read.
struct Whole<'a> {
    inner: &'a mut dyn BufRead,
    read: u64,
    limit: u64,
}

impl Read for Whole<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(std::io::Error::other(format!(
                "the document is larger than {} MiB, Truce's limit for a JSON report read whole",
                self.limit >> 20
            )));
        }
        Ok(n)
    }
}

/// The input as serde_json reads it, refusing a string longer than [`crate::xml::MAX_TEXT`] while
/// it is still being read: serde_json holds a string whole before a reader could look at its
/// length (a 200 MB Trivy `Description` took 686 MB and was stored).
pub(crate) struct CappedStrings<R> {
    inner: R,
    in_string: bool,
    escaped: bool,
    run: usize,
}

impl<R: Read> CappedStrings<R> {
    pub(crate) fn new(inner: R) -> Self {
        CappedStrings {
            inner,
            in_string: false,
            escaped: false,
            run: 0,
        }
    }
}

impl<R: Read> Read for CappedStrings<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        for &b in &out[..n] {
            if !self.in_string {
                if b == b'"' {
                    self.in_string = true;
                    self.run = 0;
                }
                continue;
            }
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                continue;
            }
            self.run += 1;
            if self.run > crate::xml::MAX_TEXT {
                return Err(std::io::Error::other(format!(
                    "a text field is larger than {} MB",
                    crate::xml::MAX_TEXT / (1024 * 1024)
                )));
            }
        }
        Ok(n)
    }
}

fn json_error(file: &str, e: &serde_json::Error, what: &str) -> Error {
    use serde_json::error::Category;
    let position = format!("line {}, column {}", e.line(), e.column());
    // serde_json's message ends with " at line L column C"; the position is said separately.
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    let problem = match e.classify() {
        Category::Eof => "the file ends before the JSON document does (truncated?)".to_string(),
        Category::Syntax => format!("malformed JSON: {text}"),
        Category::Data => format!("not {what}: {text}"),
        Category::Io => format!("cannot read: {text}"),
    };
    bad(file, &position, &problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_past_the_limit_stops_the_reading() {
        let mut doc = b"{\"a\": \"x\\\"y\", \"b\": \"".to_vec();
        doc.extend(vec![b'z'; crate::xml::MAX_TEXT + 1]);
        doc.extend(b"\"}");
        let mut r = CappedStrings::new(&doc[..]);
        let mut sink = Vec::new();
        let e = r.read_to_end(&mut sink).unwrap_err();
        assert!(e.to_string().contains("larger than 16 MB"), "{e}");
        // Escaped quotes do not end a string; a string at the limit passes.
        let mut ok = b"{\"a\": \"x\\\"y\", \"b\": \"".to_vec();
        ok.extend(vec![b'z'; crate::xml::MAX_TEXT - 1]);
        ok.extend(b"\"}");
        let mut sink = Vec::new();
        CappedStrings::new(&ok[..]).read_to_end(&mut sink).unwrap();
    }

    #[test]
    fn a_document_past_its_limit_is_refused_while_it_is_read() {
        #[derive(Debug, serde::Deserialize)]
        struct Doc {
            #[allow(dead_code)]
            runs: Vec<u32>,
        }
        let doc = format!("{{\"runs\": [{}1]}}", "1, ".repeat(1 << 19));
        let under: Doc =
            read_within("big.sarif", &mut doc.as_bytes(), "a SARIF log", 4 << 20).unwrap();
        assert_eq!(under.runs.len(), (1 << 19) + 1);
        let e = read_within::<Doc>("big.sarif", &mut doc.as_bytes(), "a SARIF log", 1 << 20)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("big.sarif: line 1, column "), "{e}");
        assert!(
            e.contains("larger than 1 MiB, Truce's limit for a JSON report read whole"),
            "{e}"
        );
    }

    #[test]
    fn keys_are_told_from_values() {
        assert!(has_key(br#"{"runs" : []}"#, "runs"));
        assert!(!has_key(
            br#"{"text": "runs", "x": "\"runs\" here"}"#,
            "runs"
        ));
    }
}

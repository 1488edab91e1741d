//! Shared XML plumbing for the XML formats: a hardened quick-xml reader and
//! text collection that resolves only the five predefined entities and character
//! references. quick-xml never fetches external entities; we also refuse any DTD
//! that declares entities, which rules out "billion laughs" and XXE outright.

use std::io::BufRead;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::Reader;

use crate::bad;
use crate::error::Result;

/// Larger text than this in one element is refused: no real report field comes
/// close, and it bounds memory for a hostile file.
pub const MAX_TEXT: usize = 16 * 1024 * 1024;

pub struct XmlReader<'a> {
    pub reader: Reader<Capped<'a>>,
    pub file: &'a str,
    pub buf: Vec<u8>,
}

/// How far past [`MAX_TEXT`] one event may run (its markup, attributes, entities) before it is
/// refused while it is still being read.
const EVENT_SLACK: usize = 1024 * 1024;

/// The input as quick-xml reads it, refusing to hand out more than one event's worth of bytes
/// between two events: quick-xml buffers an event whole, so without this a field of gigabytes
/// (`/dev/zero` read as a report) was in memory before `MAX_TEXT` could be checked.
pub struct Capped<'a> {
    inner: &'a mut dyn BufRead,
    /// Bytes handed out since the last event (reset by `XmlReader::next`).
    since_event: usize,
}

impl std::io::Read for Capped<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Capped<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.since_event > MAX_TEXT + EVENT_SLACK {
            return Err(std::io::Error::other(format!(
                "one element, text or attribute runs past {} MB, Truce's limit for a field",
                MAX_TEXT / (1024 * 1024)
            )));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.since_event += n;
        self.inner.consume(n)
    }
}

impl<'a> XmlReader<'a> {
    pub fn new(file: &'a str, input: &'a mut dyn BufRead) -> Self {
        let mut reader = Reader::from_reader(Capped {
            inner: input,
            since_event: 0,
        });
        let cfg = reader.config_mut();
        cfg.expand_empty_elements = false;
        cfg.check_end_names = true;
        XmlReader {
            reader,
            file,
            buf: Vec::with_capacity(64 * 1024),
        }
    }

    pub fn position(&self) -> String {
        format!("byte {}", self.reader.buffer_position())
    }

    pub fn error(&self, problem: impl std::fmt::Display) -> crate::error::Error {
        bad(self.file, &self.position(), &problem.to_string())
    }

    /// The next event, with DTD entity declarations refused and end of input checked by the caller.
    pub fn next(&mut self) -> Result<Event<'_>> {
        self.buf.clear();
        self.reader.get_mut().since_event = 0;
        let pos = self.reader.buffer_position();
        match self.reader.read_event_into(&mut self.buf) {
            Ok(Event::DocType(d)) => {
                let text = String::from_utf8_lossy(&d);
                if text.contains("<!ENTITY") {
                    return Err(bad(
                        self.file,
                        &format!("byte {pos}"),
                        "the document declares XML entities (<!ENTITY>), which Truce refuses for safety",
                    ));
                }
                Ok(Event::DocType(d))
            }
            Ok(ev) => Ok(ev),
            // The input refused to go on (`Capped`), or could not be read: its own words.
            Err(quick_xml::Error::Io(e)) => {
                Err(bad(self.file, &format!("byte {pos}"), &e.to_string()))
            }
            Err(e) => Err(bad(
                self.file,
                &format!("byte {}", self.reader.error_position()),
                &format!("malformed XML: {e}"),
            )),
        }
    }
}

/// Appends a text or CDATA event to `out`, refusing invalid UTF-8 and oversized text.
pub fn push_text(r: &XmlReader<'_>, out: &mut String, t: &[u8]) -> Result<()> {
    append(out, t).map_err(|problem| r.error(problem))
}

/// Appends text or CDATA bytes to `out`, or says why not (invalid UTF-8, past [`MAX_TEXT`]).
/// Every byte of a report's text passes here: the check is SIMD (`simdutf8`), a sixth of the
/// time std's took on the import of a large report.
fn append(out: &mut String, bytes: &[u8]) -> std::result::Result<(), String> {
    let s = simdutf8::compat::from_utf8(bytes).map_err(|e| {
        format!(
            "invalid UTF-8 ({} valid bytes, then an invalid sequence)",
            e.valid_up_to()
        )
    })?;
    if out.len() + s.len() > MAX_TEXT {
        return Err(too_large());
    }
    out.push_str(s);
    Ok(())
}

fn too_large() -> String {
    format!(
        "a text field is larger than {} MB",
        MAX_TEXT / (1024 * 1024)
    )
}

/// Appends a reference (&amp; &#233; ...) to `out`; unknown entities are an error.
pub fn push_ref(r: &XmlReader<'_>, out: &mut String, e: &BytesRef<'_>) -> Result<()> {
    if let Some(c) = e
        .resolve_char_ref()
        .map_err(|err| r.error(format!("bad character reference: {err}")))?
    {
        out.push(c);
        return Ok(());
    }
    let name = std::str::from_utf8(e).unwrap_or("?");
    let s = match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        other => return Err(r.error(format!("undefined entity &{other};"))),
    };
    push_checked(r, out, s)
}

fn push_checked(r: &XmlReader<'_>, out: &mut String, s: &str) -> Result<()> {
    append(out, s.as_bytes()).map_err(|problem| r.error(problem))
}

/// Reads an attribute value as text, unescaped; refuses invalid UTF-8 and unknown entities.
pub fn attr_value(
    r: &XmlReader<'_>,
    a: &quick_xml::events::attributes::Attribute<'_>,
) -> Result<String> {
    if a.value.len() > MAX_TEXT {
        return Err(r.error(format!(
            "an attribute is larger than {} MB",
            MAX_TEXT / (1024 * 1024)
        )));
    }
    std::str::from_utf8(&a.value)
        .map_err(|e| r.error(format!("invalid UTF-8 in an attribute ({e})")))?;
    a.unescape_value()
        .map(|v| v.into_owned())
        .map_err(|e| r.error(format!("bad attribute value: {e}")))
}

/// The local name of the first element in `head` (the start of a file), for sniffing.
/// Skips the declaration, comments, processing instructions and a DOCTYPE (without
/// reading its declarations); `None` when the bytes are not XML up to a first element.
pub fn root_element(head: &[u8]) -> Option<String> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut reader = Reader::from_reader(head);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => {
                return Some(String::from_utf8_lossy(e.local_name().as_ref()).into_owned())
            }
            Event::Text(t) if !t.iter().all(u8::is_ascii_whitespace) => return None,
            Event::Eof | Event::End(_) | Event::CData(_) | Event::GeneralRef(_) => return None,
            _ => {}
        }
    }
}

/// The unescaped value of attribute `name` of `e`, if it has one.
pub fn attr(r: &XmlReader<'_>, e: &BytesStart<'_>, name: &[u8]) -> Result<Option<String>> {
    for a in e.attributes() {
        let a = a.map_err(|err| r.error(format!("bad attribute: {err}")))?;
        if a.key.as_ref() == name {
            return attr_value(r, &a).map(Some);
        }
    }
    Ok(None)
}

/// The text of the element just opened, up to its end tag `end`: text, CDATA and
/// references of its children included, markup dropped. Size-capped like `push_text`. The
/// events are read in place, not copied: a report's text passes here once.
pub fn read_text(r: &mut XmlReader<'_>, end: &[u8]) -> Result<String> {
    let mut out = String::new();
    let mut depth = 0usize;
    loop {
        let refused = match r.next()? {
            Event::Text(t) => append(&mut out, &t).err(),
            Event::CData(c) => append(&mut out, &c).err(),
            Event::GeneralRef(e) => {
                let e = e.into_owned();
                push_ref(r, &mut out, &e)?;
                None
            }
            Event::Start(_) => {
                depth += 1;
                None
            }
            Event::End(e) if depth == 0 => {
                if e.local_name().as_ref() == end {
                    return Ok(out);
                }
                Some("mismatched end tag".to_string())
            }
            Event::End(_) => {
                depth -= 1;
                None
            }
            Event::Eof => return Err(eof_inside(r, end)),
            _ => None,
        };
        if let Some(problem) = refused {
            return Err(r.error(problem));
        }
    }
}

/// Skips the rest of the element just opened, up to its end tag `end`, holding nothing.
pub fn skip_element(r: &mut XmlReader<'_>, end: &[u8]) -> Result<()> {
    let mut depth = 0usize;
    loop {
        match r.next()? {
            Event::Start(_) => depth += 1,
            Event::End(_) if depth == 0 => return Ok(()),
            Event::End(_) => depth -= 1,
            Event::Eof => return Err(eof_inside(r, end)),
            _ => {}
        }
    }
}

/// Refuses a document whose root element is not `root`; `what` names the format for the reader.
pub fn expect_root(r: &XmlReader<'_>, e: &BytesStart<'_>, root: &[u8], what: &str) -> Result<()> {
    let name = e.local_name();
    if name.as_ref() != root {
        return Err(r.error(format!(
            "the root element is <{}>, expected <{}> ({what})",
            String::from_utf8_lossy(name.as_ref()),
            String::from_utf8_lossy(root)
        )));
    }
    Ok(())
}

/// The end of input reached before the document closed: cut short if the root was open,
/// else no root at all.
pub fn eof_in_document(r: &XmlReader<'_>, saw_root: bool, root: &[u8]) -> crate::error::Error {
    let root = String::from_utf8_lossy(root);
    if saw_root {
        r.error(format!("the file ends before </{root}> (truncated?)"))
    } else {
        r.error(format!("no <{root}> element"))
    }
}

/// "the file ends inside <x> (truncated?)".
pub fn eof_inside(r: &XmlReader<'_>, element: &[u8]) -> crate::error::Error {
    r.error(format!(
        "the file ends inside <{}> (truncated?)",
        String::from_utf8_lossy(element)
    ))
}

/// A malformed-XML error with nothing left to read is most likely a cut file (the cut fell
/// inside a tag): say so. Other errors are returned as they are.
pub fn truncation_hint(r: &mut XmlReader<'_>, e: crate::error::Error) -> crate::error::Error {
    match e {
        crate::error::Error::BadInput {
            file,
            position,
            problem,
        } if problem.starts_with("malformed XML")
            && r.reader.get_mut().fill_buf().is_ok_and(|b| b.is_empty()) =>
        {
            crate::error::Error::BadInput {
                file,
                position,
                problem: format!("{problem} (the file ends there: truncated?)"),
            }
        }
        other => other,
    }
}

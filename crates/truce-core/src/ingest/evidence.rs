//! A finding's evidence: what the scanner wrote about it on that host (plugin output, a result's
//! text). It is most of what an import writes (about 40% of a workspace when it was kept as
//! text), read rarely and whole, so it is kept compressed (zstd), and compared through a
//! fingerprint so a rescan rewrites it only when it changed.
//!
//! An import packs evidence on the parser's thread, beside the writer, so compressing costs the
//! writer (the import's slower half) nothing.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};

/// Evidence ready for the table: its fingerprint and its compressed bytes.
pub(crate) struct Packed {
    pub hash: i64,
    pub zstd: Vec<u8>,
}

/// zstd's fastest level: most of the saving, at several hundred MB/s.
const LEVEL: i32 = 1;

/// A stable 64-bit fingerprint of the text (xxh3: the same on every machine and every build,
/// unlike std's hasher). Rows from before the evidence was compressed carry the same one.
pub(crate) fn fingerprint(text: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes()) as i64
}

/// Packs evidence, reusing one compression context: making one costs more than compressing a
/// typical finding's text.
pub(crate) struct Packer(zstd::bulk::Compressor<'static>);

impl Packer {
    pub fn new() -> Packer {
        Packer(zstd::bulk::Compressor::new(LEVEL).expect("zstd accepts its own fastest level"))
    }

    pub fn pack(&mut self, text: &str) -> Packed {
        Packed {
            hash: fingerprint(text),
            zstd: self
                .0
                .compress(text.as_bytes())
                .expect("zstd compresses any bytes into a growable buffer"),
        }
    }
}

/// The text of packed evidence; `finding` names it in the error of bytes that are not.
pub(crate) fn unpack(zstd: &[u8], finding: &str) -> Result<String> {
    let bad = |detail: String| Error::Invalid(format!("evidence of finding '{finding}': {detail}"));
    let bytes = zstd::stream::decode_all(zstd).map_err(|e| bad(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| bad(e.to_string()))
}

/// What the scanner wrote about finding `id`, if anything.
pub fn of(conn: &Connection, id: &str) -> Result<Option<String>> {
    let packed: Option<Vec<u8>> = conn
        .prepare_cached("SELECT zstd FROM finding_evidence WHERE finding_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    packed.map(|z| unpack(&z, id)).transpose()
}

/// `truce_evidence(zstd)` for SQL (the `findings_with_evidence` view): the text, or NULL for
/// bytes that are not packed evidence.
pub(crate) fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "truce_evidence",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8
            | rusqlite::functions::FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let zstd: Option<Vec<u8>> = ctx.get(0)?;
            Ok(zstd.and_then(|z| unpack(&z, "?").ok()))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_comes_back_as_it_was_and_smaller() {
        let text = "Nessus version : 10.4.1\nPlugin feed version : 202301010000\n".repeat(40)
            + "Überprüfung 証明書";
        let p = Packer::new().pack(&text);
        assert!(
            p.zstd.len() * 4 < text.len(),
            "{} of {}",
            p.zstd.len(),
            text.len()
        );
        assert_eq!(unpack(&p.zstd, "f").unwrap(), text);
        assert_eq!(p.hash, fingerprint(&text));
        let e = unpack(b"not zstd", "f1").unwrap_err().to_string();
        assert!(e.contains("evidence of finding 'f1'"), "{e}");
    }
}

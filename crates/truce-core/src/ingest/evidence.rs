//! A finding's evidence: what the scanner wrote about it on that host (plugin output, a result's
//! text). It is most of what an import writes (about 40% of a workspace when it was kept as
//! text), read rarely and whole, so it is kept compressed (zstd), and compared through a
//! fingerprint so a rescan rewrites it only when it changed.
//!
//! An import packs evidence on the parser's thread, beside the writer, so compressing costs the
//! writer (the import's slower half) nothing; and it does not pack evidence the workspace already
//! holds word for word (most of a rescan's), which would only be thrown away.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};

/// Evidence ready for the table: its fingerprint and its compressed bytes.
pub(crate) struct Packed {
    pub hash: i64,
    pub zstd: Vec<u8>,
}

/// Evidence as the parser's thread hands it to the writer.
pub(crate) enum Evidence {
    Packed(Packed),
    /// Text the workspace already holds (by fingerprint): left for the writer to pack in the
    /// rare case it writes it (a new finding with the words of another).
    Known {
        hash: i64,
        text: String,
    },
}

impl Evidence {
    pub fn hash(&self) -> i64 {
        match self {
            Evidence::Packed(p) => p.hash,
            Evidence::Known { hash, .. } => *hash,
        }
    }

    pub fn packed(self, packer: &mut Packer) -> Packed {
        match self {
            Evidence::Packed(p) => p,
            Evidence::Known { text, .. } => packer.pack(&text),
        }
    }
}

/// The fingerprints of the evidence a workspace holds, filled by the writer when it starts; the
/// parser's thread packs everything until then.
pub(crate) type KnownHashes = std::sync::Arc<std::sync::OnceLock<rustc_hash::FxHashSet<i64>>>;

pub(crate) fn known_hashes(conn: &Connection) -> Result<rustc_hash::FxHashSet<i64>> {
    Ok(conn
        .prepare("SELECT DISTINCT evidence_hash FROM findings WHERE evidence_hash IS NOT NULL")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// What the parser's thread sends for one finding's text.
pub(crate) fn prepare(text: String, known: &KnownHashes, packer: &mut Packer) -> Evidence {
    let hash = fingerprint(&text);
    if known.get().is_some_and(|k| k.contains(&hash)) {
        Evidence::Known { hash, text }
    } else {
        Evidence::Packed(Packed {
            hash,
            zstd: packer.compress(&text),
        })
    }
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
            zstd: self.compress(text),
        }
    }

    fn compress(&mut self, text: &str) -> Vec<u8> {
        self.0
            .compress(text.as_bytes())
            .expect("zstd compresses any bytes into a growable buffer")
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

    #[test]
    fn words_the_workspace_holds_are_left_as_text_until_written() {
        let mut packer = Packer::new();
        let known = KnownHashes::default();
        // Before the writer says what it holds, everything is packed.
        let early = prepare("OpenSSH 8.2".into(), &known, &mut packer);
        assert!(matches!(early, Evidence::Packed(_)));
        known
            .set([fingerprint("OpenSSH 8.2")].into_iter().collect())
            .unwrap();
        let held = prepare("OpenSSH 8.2".into(), &known, &mut packer);
        assert!(matches!(held, Evidence::Known { .. }));
        assert_eq!(held.hash(), early.hash());
        let new = prepare("OpenSSH 9.0".into(), &known, &mut packer);
        assert!(matches!(new, Evidence::Packed(_)));
        let packed = held.packed(&mut packer);
        assert_eq!(unpack(&packed.zstd, "f").unwrap(), "OpenSSH 8.2");
    }
}

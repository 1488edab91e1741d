//! Reading scanner reports into the workspace. The parsers are the `truce-parsers` crate (plain
//! values, no SQL); this module picks a format with the workspace's saved CSV mappings, and
//! stores what the parsers hand over (`store`, `writer`: asset identity, rescans, verdicts).

pub mod evidence;
mod identity;
mod store;
mod verdicts;
mod writer;

pub use store::{import_file, import_file_with_progress, import_page, import_reader};
pub use truce_parsers::{
    choose_format, cve, formats, json_error_with, markup_to_text, Chosen, Format, GenericCsv,
    IdentifierKind, ParsedAsset, ParsedFinding, Verdict, VerdictStatus, VexStatement,
};

use crate::error::{Error, Result};

/// Like [`choose_format`], knowing the workspace's saved CSV column mappings: `csv:NAME`
/// picks mapping NAME; without a name, a CSV no built-in format claims is read through the
/// latest saved mapping whose header row equals the file's.
pub fn choose_format_in(
    conn: &rusqlite::Connection,
    file: &str,
    name: Option<&str>,
    head: &[u8],
) -> Result<Chosen> {
    if let Some(name) = name {
        if let Some(mapping) = name
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("csv:"))
            .map(|_| &name[4..])
        {
            return match crate::csv_mapping::get(conn, mapping)? {
                Some(saved) => Ok(Chosen::Mapped(Box::new(GenericCsv::new(saved)))),
                None => {
                    // By name, as people look for one (the list itself is newest first).
                    let mut saved: Vec<String> = crate::csv_mapping::list(conn)?
                        .into_iter()
                        .map(|m| m.name)
                        .collect();
                    saved.sort();
                    Err(crate::csv_mapping::no_such(mapping, &saved))
                }
            };
        }
        return choose_format(file, Some(name), head)
            .map(Chosen::Builtin)
            .map_err(|e| match Error::from(e) {
                Error::Invalid(text) => {
                    Error::Invalid(format!("{text}, or csv:NAME for a saved column mapping"))
                }
                other => other,
            });
    }
    match choose_format(file, None, head).map_err(Error::from) {
        Ok(f) => Ok(Chosen::Builtin(f)),
        Err(Error::UnknownFormat { file, known, .. }) => {
            for saved in crate::csv_mapping::list(conn)? {
                let g = GenericCsv::new(saved);
                if g.sniff(head) {
                    return Ok(Chosen::Mapped(Box::new(g)));
                }
            }
            let looks_csv = std::str::from_utf8(head.split(|&b| b == b'\n').next().unwrap_or(head))
                .ok()
                .and_then(crate::csv_mapping::header_of)
                .is_some();
            let hint = if looks_csv {
                "; if it is a CSV export, save a column mapping with `truce mapping save` \
                 once and files with this header will import"
                    .to_string()
            } else {
                String::new()
            };
            Err(Error::UnknownFormat { file, known, hint })
        }
        Err(e) => Err(e),
    }
}

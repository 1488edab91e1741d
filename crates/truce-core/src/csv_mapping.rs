//! Saved column mappings for generic CSV exports: what a mapping is lives with the parsers
//! (`truce_parsers::mapping`); this module keeps them in the workspace.

use rusqlite::{params, Connection, OptionalExtension};

pub use truce_parsers::mapping::*;

use crate::error::{Error, Result};
use crate::workspace::Workspace;

/// Saves (or replaces) mapping `name` for the CSV header `header_line` (a file's first line).
/// Recorded in the change log as entity 'csv_mapping'.
pub fn save(
    ws: &mut Workspace,
    name: &str,
    mapping: &Mapping,
    header_line: &str,
) -> Result<SavedMapping> {
    check_name(name)?;
    let (_, header) = header_of(header_line).ok_or_else(|| {
        Error::Invalid("the first line is not a CSV header row (one column or none)".into())
    })?;
    let m = validate(mapping, &header)?;
    let header_json = serde_json::to_string(&header).expect("header serializes");
    let mapping_json = serde_json::to_string(&m).expect("mapping serializes");
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    let old: Option<(String, String, String)> = tx
        .query_row(
            "SELECT header, mapping, created_at FROM csv_mappings WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let created_at = old.as_ref().map_or(at.clone(), |(_, _, c)| c.clone());
    tx.execute(
        "INSERT INTO csv_mappings (name, header, mapping, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (name) DO UPDATE SET header = excluded.header, mapping = excluded.mapping,
            updated_at = excluded.updated_at",
        params![name, header_json, mapping_json, created_at, at],
    )?;
    tx.commit()?;
    Ok(SavedMapping {
        name: name.to_string(),
        header,
        mapping: m,
        created_at,
        updated_at: at,
    })
}

/// Every saved mapping, the most recently saved first (the one detection prefers).
pub fn list(conn: &Connection) -> Result<Vec<SavedMapping>> {
    let mut stmt = conn.prepare(
        "SELECT name, header, mapping, created_at, updated_at FROM csv_mappings ORDER BY updated_at DESC, name",
    )?;
    let rows = stmt.query_map([], row)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

/// Mapping `name`, if saved.
pub fn get(conn: &Connection, name: &str) -> Result<Option<SavedMapping>> {
    conn.query_row(
        "SELECT name, header, mapping, created_at, updated_at FROM csv_mappings WHERE name = ?1",
        [name],
        row,
    )
    .optional()?
    .transpose()
}

type Row = (String, String, String, String, String);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<SavedMapping>> {
    let (name, header, mapping, created_at, updated_at): Row =
        (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
    let damaged = |e: serde_json::Error| {
        Error::Invalid(format!("saved column mapping '{name}' is damaged: {e}"))
    };
    Ok((|| {
        Ok(SavedMapping {
            header: serde_json::from_str(&header).map_err(damaged)?,
            mapping: serde_json::from_str(&mapping).map_err(damaged)?,
            name: name.clone(),
            created_at,
            updated_at,
        })
    })())
}

/// Deletes mapping `name`; recorded in the change log. Files it read stay imported.
pub fn delete(ws: &mut Workspace, name: &str) -> Result<()> {
    let tx = ws.write_tx()?;
    let old: Option<(String, String)> = tx
        .query_row(
            "SELECT header, mapping FROM csv_mappings WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some(_) = old else {
        let names: Vec<String> = tx
            .prepare("SELECT name FROM csv_mappings ORDER BY name")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        return Err(no_such(name, &names));
    };
    tx.execute("DELETE FROM csv_mappings WHERE name = ?1", [name])?;
    tx.commit()?;
    Ok(())
}

pub(crate) fn no_such(name: &str, saved: &[String]) -> Error {
    if saved.is_empty() {
        Error::Invalid(format!(
            "no column mapping named '{name}' (none saved; save one with `truce mapping save`)"
        ))
    } else {
        Error::Invalid(format!(
            "no column mapping named '{name}' (saved: {})",
            saved.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_delimiter_is_the_one_giving_most_columns() {
        let (d, h) = header_of("\u{feff}IP, Host Name ,\"Port, TCP\"\r\n").unwrap();
        assert_eq!(
            (d, h),
            (
                b',',
                vec!["ip".into(), "host name".into(), "port, tcp".into()]
            )
        );
        let (d, h) = header_of("id;host;sev").unwrap();
        assert_eq!((d, h.len()), (b';', 3));
        let (d, _) = header_of("a\tb\tc,d").unwrap();
        assert_eq!(d, b'\t');
        assert_eq!(header_of("just one column"), None);
    }

    #[test]
    fn names_are_simple_words() {
        assert!(check_name("openvas-25").is_ok());
        assert!(check_name("my.tool_2").is_ok());
        for bad in ["", "-x", "a b", "a:b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}

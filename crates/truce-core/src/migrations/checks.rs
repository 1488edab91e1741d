//! Migration 20: a `CHECK (x IN ('a', 'b', 'c'))` opens a temporary B-tree of the list each time
//! a statement that checks it runs (SQLite builds an index for IN-lists of more than two
//! values). An import's insert of 64 findings built two, a rescan's closing of a finding one: 40
//! to 50 µs each, about a tenth of the import's writer. The same rule written as comparisons
//! (`x = 'a' OR x = 'b' OR x = 'c'`) checks the same values with none.
//!
//! A CHECK constraint does not change how rows are stored, so the rewrite edits the tables'
//! definitions in place (SQLite's documented procedure for such changes: `writable_schema`, then
//! a new schema version) instead of copying every table.

use regex::Regex;

/// `CHECK (column IN (literal, ...))`, over lines as the migrations wrote them.
const IN_LIST: &str = r"CHECK\s*\(\s*(\w+)\s+IN\s*\(\s*((?:'[^']*'|-?[0-9]+)(?:\s*,\s*(?:'[^']*'|-?[0-9]+))*)\s*\)\s*\)";

/// `sql` with every IN-list CHECK written as comparisons; anything else as it was.
pub(super) fn without_in_lists(sql: &str) -> String {
    let in_list = Regex::new(IN_LIST).expect("the pattern is valid");
    let literal = Regex::new(r"'[^']*'|-?[0-9]+").expect("the pattern is valid");
    in_list
        .replace_all(sql, |c: &regex::Captures<'_>| {
            let column = &c[1];
            let alternatives: Vec<String> = literal
                .find_iter(&c[2])
                .map(|v| format!("{column} = {}", v.as_str()))
                .collect();
            format!("CHECK ({})", alternatives.join(" OR "))
        })
        .into_owned()
}

/// Rewrites the CHECKs of every table in the schema.
pub(super) fn rewrite(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    let tables: Vec<(String, String)> = tx
        .prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND sql IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let changed: Vec<(String, String)> = tables
        .into_iter()
        .filter_map(|(name, sql)| {
            let new = without_in_lists(&sql);
            (new != sql).then_some((name, new))
        })
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let version: i64 = tx.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    tx.pragma_update(None, "writable_schema", true)?;
    for (name, sql) in &changed {
        tx.execute(
            "UPDATE sqlite_schema SET sql = ?2 WHERE type = 'table' AND name = ?1",
            [name, sql],
        )?;
    }
    // Other connections and this one read the schema again.
    tx.pragma_update(None, "schema_version", version + 1)?;
    tx.pragma_update(None, "writable_schema", false)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::without_in_lists;

    #[test]
    fn an_in_list_becomes_comparisons_and_the_rest_stays() {
        let sql = "CREATE TABLE t (\n    status TEXT NOT NULL DEFAULT 'open'\n                     CHECK (status IN ('open','fixed', 'risk_accepted')),\n    note INTEGER CHECK (note IN (0, 1)),\n    days INTEGER CHECK (days > 0),\n    state TEXT CHECK (state IN\n        ('a','b'))\n)";
        assert_eq!(
            without_in_lists(sql),
            "CREATE TABLE t (\n    status TEXT NOT NULL DEFAULT 'open'\n                     CHECK (status = 'open' OR status = 'fixed' OR status = 'risk_accepted'),\n    note INTEGER CHECK (note = 0 OR note = 1),\n    days INTEGER CHECK (days > 0),\n    state TEXT CHECK (state = 'a' OR state = 'b')\n)"
        );
    }

    #[test]
    fn a_list_that_is_not_plain_literals_is_left_alone() {
        let sql = "CHECK (kind IN (SELECT kind FROM kinds))";
        assert_eq!(without_in_lists(sql), sql);
    }
}

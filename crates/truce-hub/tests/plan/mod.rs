//! A laptop's plan as text, to compare laptops: every recorded table and the items' aggregates,
//! rows sorted, so two workspaces that agree give the same text.

use truce_core::Workspace;

pub fn plan(ws: &Workspace) -> String {
    let mut tables: Vec<&str> = truce_core::changes::RECORDED
        .iter()
        .map(|(t, _)| *t)
        .collect();
    tables.push("work_item_stats");
    tables.sort();
    let mut out = String::new();
    for t in tables {
        let mut stmt = ws
            .conn()
            .prepare(&format!("SELECT * FROM \"{t}\""))
            .unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.push_str(&format!(
            "== {t} ({} rows)\n{}\n",
            rows.len(),
            rows.join("\n")
        ));
    }
    out
}

pub fn first_difference(a: &str, b: &str) -> String {
    let table = |text: &str, i: usize| {
        text.lines()
            .take(i + 1)
            .filter(|l| l.starts_with("== "))
            .last()
            .map(String::from)
    };
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("{:?} line {i}:\n  {x}\n  {y}", table(a, i));
        }
    }
    format!("lengths {} and {}", a.lines().count(), b.lines().count())
}

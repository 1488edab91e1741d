//! Assets as people see and correct them: the list with every key, splitting an asset that Truce
//! merged wrongly (two machines that shared a name) back into two (`split`), and merging assets
//! that are one machine known by keys no scan connected (`merge`).

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::workspace::Workspace;

mod merge;
mod split;

pub use merge::{merge, MergeReport};
pub use split::{split, SplitReport};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct AssetRow {
    pub id: String,
    pub name: String,
    pub environment: Option<String>,
    pub criticality: String,
    pub internet_facing: bool,
    pub ha_group: Option<String>,
    pub tags: Vec<String>,
    /// "kind=value", e.g. "fqdn=web01.example.com".
    pub identifiers: Vec<String>,
    pub open_findings: u32,
}

pub fn list(ws: &Workspace) -> Result<Vec<AssetRow>> {
    let mut stmt = ws.conn().prepare(
        "SELECT a.id, a.name, a.environment,
                (SELECT group_concat(kind || '=' || value, char(10)) FROM
                    (SELECT kind, value FROM asset_identifiers i WHERE i.asset_id = a.id ORDER BY kind, value)),
                (SELECT count(*) FROM findings f WHERE f.asset_id = a.id AND f.status = 'open'),
                a.criticality, a.internet_facing, a.ha_group,
                (SELECT group_concat(tag, char(10)) FROM (SELECT tag FROM asset_tags t WHERE t.asset_id = a.id ORDER BY tag))
         FROM assets a ORDER BY a.name, a.id",
    )?;
    let rows = stmt.query_map([], |r| {
        let ids: Option<String> = r.get(3)?;
        let tags: Option<String> = r.get(8)?;
        Ok(AssetRow {
            id: r.get(0)?,
            name: r.get(1)?,
            environment: r.get(2)?,
            criticality: r.get(5)?,
            internet_facing: r.get(6)?,
            ha_group: r.get(7)?,
            tags: tags
                .map(|s| s.split('\n').map(String::from).collect())
                .unwrap_or_default(),
            identifiers: ids
                .map(|s| s.split('\n').map(String::from).collect())
                .unwrap_or_default(),
            open_findings: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

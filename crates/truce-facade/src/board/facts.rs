//! Settings of windows and facts of assets, as the Windows and Assets views change them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::NoArgs;
use truce_core::calendar;
use truce_core::error::Result;
use truce_core::Workspace;

/// What a window without limits of its own takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WindowDefaults {
    /// Items per occurrence of a window with no `max_items`; None: no limit.
    pub max_items: Option<u32>,
}

pub fn window_defaults(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    _r: NoArgs,
) -> Result<WindowDefaults> {
    Ok(WindowDefaults {
        max_items: calendar::default_max_items(ws.conn())?,
    })
}

pub fn set_window_defaults(
    ws: &mut Workspace,
    now: DateTime<Utc>,
    r: WindowDefaults,
) -> Result<WindowDefaults> {
    let actor = ws.actor().to_string();
    let tx = ws.write_tx()?;
    calendar::set_default_max_items(&tx, &actor, r.max_items)?;
    tx.commit()?;
    window_defaults(ws, now, NoArgs {})
}

pub fn assets(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    _r: NoArgs,
) -> Result<Vec<truce_core::assets::AssetRow>> {
    truce_core::assets::list(ws)
}

/// Set facts on several assets at once; a field left `None` stays as it is, and an empty
/// environment or HA group clears it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AssetFactsRequest {
    pub assets: Vec<String>,
    pub environment: Option<String>,
    pub criticality: Option<String>,
    pub internet_facing: Option<bool>,
    pub ha_group: Option<String>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
}

pub fn set_asset_facts(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: AssetFactsRequest,
) -> Result<u32> {
    truce_core::asset_facts::set(
        ws,
        &r.assets,
        &truce_core::asset_facts::FactsChange {
            environment: r.environment.map(Some),
            criticality: r.criticality,
            internet_facing: r.internet_facing,
            ha_group: r.ha_group.map(Some),
            add_tags: r.add_tags,
            remove_tags: r.remove_tags,
        },
    )
}

/// One machine known as several assets: `others` go into `into`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MergeAssetsRequest {
    pub into: String,
    pub others: Vec<String>,
}

pub fn merge_assets(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: MergeAssetsRequest,
) -> Result<truce_core::assets::MergeReport> {
    truce_core::assets::merge(ws, &r.into, &r.others)
}

/// An asset that is two machines: the keys ("kind=value") of the other one go to a new asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SplitAssetRequest {
    pub asset: String,
    pub keys: Vec<String>,
}

pub fn split_asset(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: SplitAssetRequest,
) -> Result<truce_core::assets::SplitReport> {
    let report = truce_core::assets::split(ws, &r.asset, &r.keys)?;
    truce_core::planning::grouping::regroup_if_planning(ws)?;
    Ok(report)
}

/// The open workspace's overview: counts, latest imports, the next windows.
pub fn overview(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    _r: NoArgs,
) -> Result<truce_core::model::WorkspaceOverview> {
    truce_core::api::overview(ws)
}

/// One page of findings, filtered and sorted as asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct FindingsRequest {
    pub query: truce_core::model::FindingsQuery,
}

pub fn findings(
    ws: &mut Workspace,
    _now: DateTime<Utc>,
    r: FindingsRequest,
) -> Result<truce_core::model::FindingsPage> {
    truce_core::api::findings(ws, &r.query)
}

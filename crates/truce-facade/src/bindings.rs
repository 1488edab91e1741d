//! The TypeScript declarations of every type that crosses to the UI, generated from
//! the Rust types with ts-rs. `ui/src/lib/bindings.ts` is this output; a test fails
//! when it is stale (`make bindings` rewrites it).

use ts_rs::TS;

use truce_core::model::*;
use truce_core::planning::types::*;

pub fn typescript() -> String {
    let decls = [
        Severity::decl(),
        FindingStatus::decl(),
        SeverityCounts::decl(),
        WorkspaceCounts::decl(),
        ImportSummary::decl(),
        ChangeWindowSummary::decl(),
        WorkspaceOverview::decl(),
        FindingRow::decl(),
        FindingsQuery::decl(),
        FindingsPage::decl(),
        ImportReport::decl(),
        ImportProgress::decl(),
        ImportOutcome::decl(),
        RecentWorkspaces::decl(),
        AppStatus::decl(),
        WindowKind::decl(),
        ChangeWindow::decl(),
        truce_core::calendar::WindowSpec::decl(),
        Occurrence::decl(),
        WindowImportReport::decl(),
        ItemState::decl(),
        SlaStatus::decl(),
        PersonRef::decl(),
        WorkItemCard::decl(),
        ItemFinding::decl(),
        HistoryEntry::decl(),
        CommitmentRow::decl(),
        WorkItemDetail::decl(),
        RegroupItem::decl(),
        RegroupReport::decl(),
        GroupingRules::decl(),
        SlaPolicy::decl(),
        OwnershipRule::decl(),
        TeamRisk::decl(),
        PlanningMetrics::decl(),
        truce_core::scheduling::OccurrenceKey::decl(),
        truce_core::scheduling::ConflictCode::decl(),
        truce_core::scheduling::Conflict::decl(),
        truce_core::scheduling::ItemConflicts::decl(),
        truce_core::scheduling::Placement::decl(),
        truce_core::scheduling::Unplaced::decl(),
        truce_core::scheduling::Proposal::decl(),
        truce_core::scheduling::RiskWeek::decl(),
        truce_core::scheduling::actions::DropCheck::decl(),
        truce_core::scheduling::actions::ScheduleOutcome::decl(),
        truce_core::scheduling::actions::AcceptReport::decl(),
        truce_core::sync::HubStatus::decl(),
        truce_core::sync::Merged::decl(),
        truce_core::sync::SyncReport::decl(),
        truce_core::sync::conflicts::Change::decl(),
        truce_core::sync::Conflict::decl(),
        truce_core::sync::Side::decl(),
        crate::board::HubConnectRequest::decl(),
        crate::board::HubResolveRequest::decl(),
        crate::board::BoardRequest::decl(),
        crate::board::TeamRef::decl(),
        crate::board::BoardOccurrence::decl(),
        crate::board::Board::decl(),
        crate::board::CardsRequest::decl(),
        crate::board::DropTargetsRequest::decl(),
        crate::board::DropTarget::decl(),
        crate::board::MoveTargetsRequest::decl(),
        crate::board::MoveTarget::decl(),
        crate::board::ScheduleRequest::decl(),
        crate::board::UnscheduleRequest::decl(),
        crate::board::RestoreRequest::decl(),
        truce_core::planning::states::ItemSnapshot::decl(),
        crate::board::ItemRequest::decl(),
        crate::board::ItemPage::decl(),
        crate::board::TransitionRequest::decl(),
        crate::board::AssignRequest::decl(),
        crate::board::CommitRequest::decl(),
        crate::board::ExceptionRequest::decl(),
        crate::board::DecideExceptionRequest::decl(),
        crate::board::SplitRequest::decl(),
        crate::board::MergeRequest::decl(),
        truce_core::planning::ItemRef::decl(),
        truce_core::planning::split::SplitBy::decl(),
        crate::board::ExceptionsRequest::decl(),
        truce_core::planning::exceptions::ExceptionRow::decl(),
        crate::board::AutoPlanRequest::decl(),
        crate::board::AcceptRequest::decl(),
        crate::board::DashboardRequest::decl(),
        crate::board::Dashboard::decl(),
        crate::board::NoArgs::decl(),
        crate::board::SaveWindowRequest::decl(),
        crate::board::PreviewWindowRequest::decl(),
        crate::board::ImportWindowsRequest::decl(),
        crate::board::WindowDefaults::decl(),
        truce_core::assets::AssetRow::decl(),
        crate::board::AssetFactsRequest::decl(),
        crate::commands::CommandError::decl(),
        crate::commands::DownloadProgress::decl(),
        crate::board::FindingsRequest::decl(),
        crate::board::MergeAssetsRequest::decl(),
        crate::board::SplitAssetRequest::decl(),
        truce_core::assets::MergeReport::decl(),
        truce_core::assets::SplitReport::decl(),
        crate::board::PersonChoice::decl(),
        crate::board::Session::decl(),
        crate::board::SignInRequest::decl(),
        crate::board::AddPersonRequest::decl(),
        truce_core::sources::Source::decl(),
        truce_core::sources::SourceKind::decl(),
        crate::board::sources::JobKind::decl(),
        crate::board::sources::SourceJob::decl(),
        crate::board::sources::SourceRow::decl(),
        crate::board::sources::SourcesPage::decl(),
        crate::board::sources::AddSourceRequest::decl(),
        crate::board::sources::SourceRequest::decl(),
        crate::board::sources::SourceScheduleRequest::decl(),
        crate::board::sources::StartSourceRequest::decl(),
        crate::board::sources::SourceKeysRequest::decl(),
        crate::board::sources::SourceScopeRequest::decl(),
    ];
    let mut out = String::from(
        "// Generated from the Rust types (crates/truce-core, crates/truce-facade) by ts-rs. Do not edit: run `make bindings`.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(&d);
        out.push_str("\n\n");
    }
    out.push_str(&crate::commands::typescript());
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn ui_bindings_are_up_to_date() {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings.ts");
        let fresh = super::typescript();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&file, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            committed == fresh,
            "{} is stale: the Rust types changed. Run `make bindings` and commit the result.",
            file.display()
        );
    }
}

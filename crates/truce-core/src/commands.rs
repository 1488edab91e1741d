//! The app's workspace commands, in one table. The desktop shell answers every `invoke` named
//! here through [`dispatch`], and so does the bridge the browser tests talk to (`truce
//! serve-ui`): the page sees one backend, whichever front door it came through, and the
//! browser tests run against the real core rather than a copy of it.
//!
//! A command takes its request as the JSON object the page passes to `invoke` (field names as
//! in the generated TypeScript types) and answers JSON, or an error message for people.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::board;
use crate::Workspace;

macro_rules! commands {
    ($($name:ident: $request:ty => $answer:ty;)*) => {
        /// Every command [`dispatch`] answers.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// Runs command `name` with `args` on `ws`, as of `now`.
        pub fn dispatch(
            ws: &mut Workspace,
            now: DateTime<Utc>,
            name: &str,
            args: Value,
        ) -> Result<Value, String> {
            match name {
                $(stringify!($name) => {
                    let request: $request = parse(name, args)?;
                    let answer: $answer = board::$name(ws, now, request).map_err(|e| e.to_string())?;
                    serde_json::to_value(answer).map_err(|e| e.to_string())
                })*
                _ => Err(format!("Truce has no command '{name}'")),
            }
        }

        /// The TypeScript of the request each command takes and what it answers, for `ui/src/lib/bindings.ts`.
        pub fn typescript() -> String {
            let mut out = String::from("/** The request each workspace command takes (crates/truce-core/src/commands.rs). */\nexport type CommandRequests = {\n");
            $(out.push_str(&format!("  {}: {};\n", stringify!($name), <$request as ts_rs::TS>::name()));)*
            out.push_str("};\n\n/** What each workspace command answers. */\nexport type CommandAnswers = {\n");
            $(out.push_str(&format!("  {}: {};\n", stringify!($name), <$answer as ts_rs::TS>::name()));)*
            out.push_str("};\n");
            out
        }
    };
}

commands! {
    board: board::BoardRequest => board::Board;
    cards: board::CardsRequest => Vec<crate::planning::WorkItemCard>;
    drop_targets: board::DropTargetsRequest => Vec<board::DropTarget>;
    move_targets: board::MoveTargetsRequest => Vec<board::MoveTarget>;
    schedule: board::ScheduleRequest => crate::scheduling::actions::ScheduleOutcome;
    unschedule: board::UnscheduleRequest => ();
    item: board::ItemRequest => board::ItemPage;
    transition: board::TransitionRequest => ();
    assign: board::AssignRequest => ();
    commit: board::CommitRequest => String;
    request_exception: board::ExceptionRequest => String;
    decide_exception: board::DecideExceptionRequest => ();
    split_item: board::SplitRequest => Vec<String>;
    merge_items: board::MergeRequest => ();
    exceptions: board::ExceptionsRequest => Vec<crate::planning::exceptions::ExceptionRow>;
    auto_plan: board::AutoPlanRequest => crate::scheduling::Proposal;
    accept: board::AcceptRequest => crate::scheduling::actions::AcceptReport;
    dashboard: board::DashboardRequest => board::Dashboard;
    windows: board::NoArgs => Vec<crate::model::ChangeWindow>;
    save_window: board::SaveWindowRequest => crate::model::ChangeWindow;
    delete_window: board::ItemRequest => ();
    preview_window: board::PreviewWindowRequest => Vec<board::BoardOccurrence>;
    import_windows: board::ImportWindowsRequest => crate::model::WindowImportReport;
    window_defaults: board::NoArgs => board::WindowDefaults;
    assets: board::NoArgs => Vec<crate::assets::AssetRow>;
    set_asset_facts: board::AssetFactsRequest => u32;
    merge_assets: board::MergeAssetsRequest => crate::assets::MergeReport;
    split_asset: board::SplitAssetRequest => crate::assets::SplitReport;
    set_window_defaults: board::WindowDefaults => board::WindowDefaults;
    session: board::NoArgs => board::Session;
    sign_in: board::SignInRequest => board::Session;
    add_person: board::AddPersonRequest => board::Session;
}

/// The time the app's planning questions are asked at: `TRUCE_NOW` (RFC 3339 or a date) when
/// set, so tests and demos can stand on a fixed day; otherwise now.
pub fn clock() -> DateTime<Utc> {
    std::env::var("TRUCE_NOW")
        .ok()
        .and_then(|s| board::instant(&s).ok())
        .unwrap_or_else(Utc::now)
}

/// Whether `name` is one of this table's commands.
pub fn is_command(name: &str) -> bool {
    NAMES.contains(&name)
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, args: Value) -> Result<T, String> {
    // `invoke('windows')` sends no arguments at all.
    let args = if args.is_null() {
        Value::Object(Default::default())
    } else {
        args
    };
    serde_json::from_value(args).map_err(|e| format!("command '{name}': {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_command_or_a_malformed_request_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::open(&dir.path().join("w.truce")).unwrap();
        let now = Utc::now();
        let e = dispatch(&mut ws, now, "nope", Value::Null).unwrap_err();
        assert!(e.contains("'nope'"), "{e}");
        let e = dispatch(&mut ws, now, "board", serde_json::json!({"from": 3})).unwrap_err();
        assert!(e.starts_with("command 'board'"), "{e}");
        let windows = dispatch(&mut ws, now, "windows", Value::Null).unwrap();
        assert_eq!(windows, serde_json::json!([]));
    }
}

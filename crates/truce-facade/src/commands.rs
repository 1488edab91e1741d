//! The app's workspace commands, in one table. The desktop shell answers every `invoke` named
//! here through [`dispatch`], and so does the bridge the browser tests talk to (`truce
//! serve-ui`): the page sees one backend, whichever front door it came through, and the
//! browser tests run against the real core rather than a copy of it.
//!
//! A command takes its request as the JSON object the page passes to `invoke` (field names as
//! in the generated TypeScript types) and answers JSON, or a [`CommandError`]: a stable code to
//! branch on, a message for people and the facts the message is made of.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use crate::board;
use truce_core::Workspace;

macro_rules! commands {
    ($($name:ident: $request:ty => $answer:ty;)*) => {
        /// Every command [`dispatch`] answers.
        pub const NAMES: &[&str] = &[$(stringify!($name)),*];

        /// Runs command `name` with `args` on `ws`, at the workspace clock's now.
        pub fn dispatch(
            ws: &mut Workspace,
            name: &str,
            args: Value,
        ) -> Result<Value, CommandError> {
            // Questions ("what is due") are asked at the workspace clock's now, as writes are.
            let now = ws.now();
            match name {
                $(stringify!($name) => {
                    let request: $request = parse(name, args)?;
                    // SQLite's words for a read-only file or a full disk become ones that name it.
                    let answer: $answer = board::$name(ws, now, request)
                        .map_err(|e| e.in_workspace(ws.path()))?;
                    serde_json::to_value(answer).map_err(|e| CommandError::new("internal", e.to_string()))
                })*
                _ => Err(CommandError::new("unknown_command", format!("Truce has no command '{name}'"))
                    .with("command", name)),
            }
        }

        /// The TypeScript of the request each command takes and what it answers, for `ui/src/lib/bindings.ts`.
        pub fn typescript() -> String {
            let mut out = String::from("/** The request each workspace command takes (crates/truce-facade/src/commands.rs). */\nexport type CommandRequests = {\n");
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
    cards: board::CardsRequest => Vec<truce_core::planning::WorkItemCard>;
    drop_targets: board::DropTargetsRequest => Vec<board::DropTarget>;
    move_targets: board::MoveTargetsRequest => Vec<board::MoveTarget>;
    schedule: board::ScheduleRequest => truce_core::scheduling::actions::ScheduleOutcome;
    unschedule: board::UnscheduleRequest => ();
    restore: board::RestoreRequest => truce_core::scheduling::actions::ScheduleOutcome;
    item: board::ItemRequest => board::ItemPage;
    transition: board::TransitionRequest => ();
    assign: board::AssignRequest => ();
    commit: board::CommitRequest => String;
    request_exception: board::ExceptionRequest => String;
    decide_exception: board::DecideExceptionRequest => ();
    split_item: board::SplitRequest => Vec<String>;
    merge_items: board::MergeRequest => ();
    exceptions: board::ExceptionsRequest => Vec<truce_core::planning::exceptions::ExceptionRow>;
    auto_plan: board::AutoPlanRequest => truce_core::scheduling::Proposal;
    accept: board::AcceptRequest => truce_core::scheduling::actions::AcceptReport;
    dashboard: board::DashboardRequest => board::Dashboard;
    windows: board::NoArgs => Vec<truce_core::model::ChangeWindow>;
    save_window: board::SaveWindowRequest => truce_core::model::ChangeWindow;
    delete_window: board::ItemRequest => ();
    preview_window: board::PreviewWindowRequest => Vec<board::BoardOccurrence>;
    import_windows: board::ImportWindowsRequest => truce_core::model::WindowImportReport;
    window_defaults: board::NoArgs => board::WindowDefaults;
    assets: board::NoArgs => Vec<truce_core::assets::AssetRow>;
    overview: board::NoArgs => truce_core::model::WorkspaceOverview;
    findings: board::FindingsRequest => truce_core::model::FindingsPage;
    set_asset_facts: board::AssetFactsRequest => u32;
    merge_assets: board::MergeAssetsRequest => truce_core::assets::MergeReport;
    split_asset: board::SplitAssetRequest => truce_core::assets::SplitReport;
    set_window_defaults: board::WindowDefaults => board::WindowDefaults;
    session: board::NoArgs => board::Session;
    sign_in: board::SignInRequest => board::Session;
    add_person: board::AddPersonRequest => board::Session;
    hub_status: board::NoArgs => truce_core::sync::HubStatus;
    hub_connect: board::HubConnectRequest => truce_core::sync::HubStatus;
    hub_conflicts: board::NoArgs => Vec<truce_core::sync::Conflict>;
    hub_resolve: board::HubResolveRequest => Vec<truce_core::sync::Conflict>;
    sources: board::NoArgs => board::sources::SourcesPage;
    add_source: board::sources::AddSourceRequest => truce_core::sources::Source;
    remove_source: board::sources::SourceRequest => ();
    set_source_schedule: board::sources::SourceScheduleRequest => truce_core::sources::Source;
    set_source_keys: board::sources::SourceKeysRequest => ();
    set_source_scope: board::sources::SourceScopeRequest => truce_core::sources::Source;
    start_source: board::sources::StartSourceRequest => board::sources::SourceJob;
    cancel_source: board::sources::SourceRequest => ();
}

/// How a front end follows and stops the downloads [`prepare`] makes.
pub use truce_core::calendar::{Progress, Watch};

/// Whether [`prepare`] may download for command `name`: a front end starts a fresh cancel for
/// those (a cancel meant for one download must not outlive it).
pub fn may_download(name: &str) -> bool {
    name == "import_windows"
}

/// A download's progress as the page receives it (the app's `download-progress` event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DownloadProgress {
    /// The URL being read.
    pub source: String,
    #[ts(type = "number")]
    pub received: u64,
    /// The size the server announced, if it did.
    #[ts(type = "number | null")]
    pub total: Option<u64>,
}

/// What a command needs before it takes the workspace: a calendar URL to import is downloaded
/// here, with the caller's progress and cancel, and its text passed on in the request
/// (`content`). The shell calls this before it locks the workspace, so a slow server holds up no
/// other command; a cancel ends it at once and nothing is changed. Other requests pass as they are.
pub fn prepare(name: &str, args: Value, watch: &Watch<'_>) -> Result<Value, CommandError> {
    if !may_download(name) {
        return Ok(args);
    }
    let request: board::ImportWindowsRequest = parse(name, args)?;
    if request.content.is_some() || !truce_core::calendar::is_url(&request.source) {
        return serde_json::to_value(request)
            .map_err(|e| CommandError::new("internal", e.to_string()));
    }
    let content = truce_core::calendar::sync::download(&request.source, watch)?;
    serde_json::to_value(board::ImportWindowsRequest {
        content: Some(content),
        ..request
    })
    .map_err(|e| CommandError::new("internal", e.to_string()))
}

/// Whether `name` is one of this table's commands.
pub fn is_command(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Why a command failed, as the page receives it: `code` to branch on (`invalid`, `locked`,
/// `bad_input`, `bad_request`...; see `Error::code`), `message` to show, `facts` the values the
/// message names (file, position, path...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    pub facts: BTreeMap<String, String>,
}

impl CommandError {
    pub fn new(code: &str, message: String) -> CommandError {
        CommandError {
            code: code.to_string(),
            message,
            facts: BTreeMap::new(),
        }
    }

    fn with(mut self, fact: &str, value: &str) -> CommandError {
        self.facts.insert(fact.to_string(), value.to_string());
        self
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<truce_core::Error> for CommandError {
    fn from(e: truce_core::Error) -> CommandError {
        CommandError {
            code: e.code().to_string(),
            message: e.to_string(),
            facts: e.facts(),
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(name: &str, args: Value) -> Result<T, CommandError> {
    // `invoke('windows')` sends no arguments at all.
    let args = if args.is_null() {
        Value::Object(Default::default())
    } else {
        args
    };
    serde_json::from_value(args).map_err(|e| {
        CommandError::new("bad_request", format!("command '{name}': {e}")).with("command", name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_command_or_a_malformed_request_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::open(dir.path().join("w.truce")).unwrap();
        let e = dispatch(&mut ws, "nope", Value::Null).unwrap_err();
        assert!(e.message.contains("'nope'"), "{e}");
        assert_eq!(
            (e.code.as_str(), e.facts["command"].as_str()),
            ("unknown_command", "nope")
        );
        let e = dispatch(&mut ws, "board", serde_json::json!({"from": 3})).unwrap_err();
        assert!(e.message.starts_with("command 'board'"), "{e}");
        assert_eq!(e.code, "bad_request");
        let windows = dispatch(&mut ws, "windows", Value::Null).unwrap();
        assert_eq!(windows, serde_json::json!([]));
    }

    #[test]
    fn a_core_error_crosses_with_its_code_and_facts() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::open(dir.path().join("w.truce")).unwrap();
        let e = dispatch(&mut ws, "item", serde_json::json!({"id": "no-such-item"})).unwrap_err();
        assert_eq!(e.code, "invalid", "{e:?}");
        assert!(e.message.contains("no-such-item"), "{e}");
        // As the page receives it: {code, message, facts}.
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["code"], "invalid");
        assert!(v["facts"].is_object());
        let bad = dispatch(
            &mut ws,
            "import_windows",
            serde_json::json!({"source": dir.path().join("missing.ics").display().to_string()}),
        )
        .unwrap_err();
        assert_eq!(bad.code, "unreadable", "{bad:?}");
        assert!(bad.facts["path"].ends_with("missing.ics"), "{bad:?}");
    }
}

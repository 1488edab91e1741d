//! What the app was asked to open on the command line.

use std::path::PathBuf;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Launch {
    /// `--workspace PATH` (or `$TRUCE_WORKSPACE`).
    pub workspace: Option<PathBuf>,
    /// `--demo`: (re)create the demo workspace and open it.
    pub demo: bool,
}

impl Launch {
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Launch {
        let mut launch = Launch::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--demo" {
                launch.demo = true;
            } else if arg == "--workspace" {
                launch.workspace = args.next().map(PathBuf::from);
            } else if let Some(p) = arg.strip_prefix("--workspace=") {
                launch.workspace = Some(PathBuf::from(p));
            }
        }
        if launch.workspace.is_none() {
            launch.workspace =
                std::env::var_os(truce_core::workspace::WORKSPACE_ENV).map(PathBuf::from);
        }
        launch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_workspace_and_demo_flags() {
        let l = Launch::from_args(["--workspace".into(), "/tmp/a.truce".into(), "--demo".into()]);
        assert_eq!(l.workspace, Some(PathBuf::from("/tmp/a.truce")));
        assert!(l.demo);
        let l = Launch::from_args(["--workspace=/x.truce".to_string()]);
        assert_eq!(l.workspace, Some(PathBuf::from("/x.truce")));
        assert!(!l.demo);
    }
}

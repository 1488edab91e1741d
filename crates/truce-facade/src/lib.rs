//! Truce's application facade: the board's questions and actions and the one table of commands
//! the desktop shell, the CLI's browser bridge and (later) the hub call. It composes the core's
//! functions into answers and speaks no SQL: the store (`truce-core`) is the only crate that does.

pub mod bindings;
pub mod board;
pub mod commands;
/// The recorder of the browser tests' fixture: only in builds that ask for it (`truce-cli`'s
/// `test-bridge` feature), never in the product.
#[cfg(feature = "ui-fixture")]
pub mod ui_fixture;

//! What can go wrong while reading a report, phrased for the person who will read it. The core
//! turns each into its own error of the same name (`truce_core::Error`).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: cannot read the file: {detail}")]
    Unreadable { path: PathBuf, detail: String },

    #[error("{file}: {position}: {problem}")]
    BadInput {
        file: String,
        position: String,
        problem: String,
    },

    /// No format claims the file (a CSV may still be read through a mapping).
    #[error("{file}: byte 0: not a report format Truce reads (known: {known}){hint}")]
    UnknownFormat {
        file: String,
        known: String,
        /// "" or "; if it is a CSV export, ..."
        hint: String,
    },

    /// Reading stopped on purpose (the consumer of the assets gave up first): the consumer's
    /// error is the one to report.
    #[error("{0}: stopped")]
    Stopped(String),

    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

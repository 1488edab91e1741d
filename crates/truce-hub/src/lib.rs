//! The team hub: one server, any number of laptops. A laptop pushes the operations its workspace
//! recorded (its change log: who changed which field of what, when, from which device) and pulls
//! everyone else's after its cursor. The hub keeps every operation in PostgreSQL, numbered in the
//! order it arrived, and never deletes one: a workspace's history is a query over them.
//!
//! - `schema`: the hub's tables, created and migrated by the hub itself at start.
//! - `ops`: storing and reading the operations (their shape and checks: `truce-sync`).
//! - `devices`: the laptops let in, by token (kept hashed), and their roles.
//! - `authorize`: which role may make which decision; nobody decides their own request.
//! - `limits`: how often one device may ask.
//! - `snapshots`: the workspaces new laptops join from, kept as bytes the hub never opens.
//! - `server`: the HTTP API (axum).
//! - `tls`: the same API over TLS (rustls).
//!
//! Never depends on SQLite, the core or a UI: laptops and the hub share only the operations'
//! shape on the wire.

pub mod authorize;
pub mod devices;
pub mod limits;
pub mod ops;
pub mod schema;
pub mod server;
pub mod snapshots;
pub mod tls;

pub use ops::{Op, Pulled, Pushed};
pub use server::{router, router_with, serve};

/// Connections to the hub's database, shared by its request handlers.
pub type Pool = deadpool_postgres::Pool;

/// A pool for the PostgreSQL at `url` (`postgres://user@host:port/db`).
pub fn pool(url: &str) -> Result<Pool, String> {
    let config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("the database URL is not valid: {e}"))?;
    let manager = deadpool_postgres::Manager::from_config(
        config,
        tokio_postgres::NoTls,
        deadpool_postgres::ManagerConfig {
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    deadpool_postgres::Pool::builder(manager)
        .max_size(16)
        .build()
        .map_err(|e| format!("cannot make the database pool: {e}"))
}

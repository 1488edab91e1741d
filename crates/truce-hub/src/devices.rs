//! The laptops a hub lets in. An admin issues a token for one laptop (its device id, the person
//! using it, their role); the hub keeps only the token's SHA-256, shows the token once, and can
//! revoke it. Every request names its device by the token; what it may do follows the role.

use sha2::{Digest, Sha256};

use crate::ops::StoreError;
use crate::Pool;

/// The roles of issue 13's accounts: who may change the plan, and who only reads it.
pub const ROLES: &[&str] = &["admin", "security", "ops", "cab", "viewer"];

/// A laptop the hub let in, as its token names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: String,
    pub workspace_id: String,
    pub person: String,
    pub role: String,
}

impl Device {
    /// Whether this device may push changes (a viewer only reads).
    pub fn may_write(&self) -> bool {
        self.role != "viewer"
    }
}

fn digest(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Issues a token for `device` of `workspace`, used by `person` as `role`; answers the token,
/// which the hub does not keep. Issuing again for the same device replaces its token.
pub async fn issue(
    pool: &Pool,
    workspace: &str,
    device: &str,
    person: &str,
    role: &str,
) -> Result<String, StoreError> {
    if !ROLES.contains(&role) {
        return Err(StoreError(format!(
            "'{role}' is not a role (one of {})",
            ROLES.join(", ")
        )));
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| StoreError(format!("no randomness: {e}")))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO devices (id, workspace_id, person, role, token_sha256) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET workspace_id = $2, person = $3, role = $4,
                 token_sha256 = $5, issued_at = now(), revoked_at = NULL",
            &[&device, &workspace, &person, &role, &digest(&token)],
        )
        .await?;
    Ok(token)
}

/// Revokes `device`'s token: its next request is refused. Answers whether there was one.
pub async fn revoke(pool: &Pool, device: &str) -> Result<bool, StoreError> {
    let client = pool.get().await?;
    Ok(client
        .execute(
            "UPDATE devices SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
            &[&device],
        )
        .await?
        > 0)
}

/// The device `token` names, unless it is unknown or revoked.
pub async fn authenticate(pool: &Pool, token: &str) -> Result<Option<Device>, StoreError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(
            "SELECT id, workspace_id, person, role FROM devices
             WHERE token_sha256 = $1 AND revoked_at IS NULL",
            &[&digest(token)],
        )
        .await?;
    Ok(row.map(|r| Device {
        id: r.get(0),
        workspace_id: r.get(1),
        person: r.get(2),
        role: r.get(3),
    }))
}

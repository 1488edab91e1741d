//! Who is at this laptop, as the page asks and changes it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::NoArgs;
use truce_core::error::{Error, Result};
use truce_core::planning::{self, PersonRef};
use truce_core::Workspace;

/// A person someone at this laptop can sign in as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PersonChoice {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub team: Option<String>,
}

/// Who is signed in on this laptop, and who could be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Session {
    pub signed_in: Option<PersonRef>,
    pub people: Vec<PersonChoice>,
    /// Team names, for adding oneself.
    pub teams: Vec<String>,
}

pub fn session(ws: &mut Workspace, _now: DateTime<Utc>, _r: NoArgs) -> Result<Session> {
    Ok(Session {
        signed_in: truce_core::device::signed_in(ws.conn())?,
        people: planning::people::people(ws)?
            .into_iter()
            .map(|(id, name, email, team)| PersonChoice {
                id,
                name,
                email,
                team,
            })
            .collect(),
        teams: planning::people::teams(ws)?
            .into_iter()
            .map(|(_, name, _)| name)
            .collect(),
    })
}

/// Sign in as a person already in the workspace (id, email or name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SignInRequest {
    pub person: String,
}

pub fn sign_in(ws: &mut Workspace, now: DateTime<Utc>, r: SignInRequest) -> Result<Session> {
    truce_core::device::sign_in(ws, &r.person)?;
    session(ws, now, NoArgs {})
}

/// Add a person (typically oneself, on a new workspace) and sign in as them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AddPersonRequest {
    pub name: String,
    pub email: Option<String>,
    pub team: Option<String>,
}

pub fn add_person(ws: &mut Workspace, now: DateTime<Utc>, r: AddPersonRequest) -> Result<Session> {
    let name = r.name.trim();
    if name.is_empty() {
        return Err(Error::Invalid("a person needs a name".into()));
    }
    let email = r.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let team = r.team.as_deref().filter(|t| !t.is_empty());
    let id = planning::people::add_person(ws, name, email, team, None)?;
    truce_core::device::sign_in(ws, &id)?;
    session(ws, now, NoArgs {})
}

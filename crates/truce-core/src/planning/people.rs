//! Teams and people.

use rusqlite::params;

use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::Workspace;

pub fn add_team(ws: &mut Workspace, name: &str, kind: &str) -> Result<String> {
    if !["ops", "security", "other"].contains(&kind) {
        return Err(Error::Invalid(format!(
            "team kind '{kind}': expected ops, security or other"
        )));
    }
    let tx = ws.write_tx()?;
    let id = new_id();
    tx.execute(
        "INSERT INTO teams (id, name, kind) VALUES (?1, ?2, ?3)",
        params![id, name, kind],
    )
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => {
            Error::Invalid(format!("a team named '{name}' exists already"))
        }
        _ => e.into(),
    })?;
    tx.commit()?;
    Ok(id)
}

pub fn add_person(
    ws: &mut Workspace,
    name: &str,
    email: Option<&str>,
    team: Option<&str>,
    time_zone: Option<&str>,
) -> Result<String> {
    let tx = ws.write_tx()?;
    let team_id = team.map(|t| super::team_id(&tx, t)).transpose()?;
    let id = new_id();
    tx.execute(
        "INSERT INTO people (id, name, email, team_id, time_zone) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, name, email, team_id, time_zone],
    )?;
    tx.commit()?;
    Ok(id)
}

/// (id, name, kind) of every team, by name.
pub fn teams(ws: &Workspace) -> Result<Vec<(String, String, String)>> {
    let mut stmt = ws
        .conn()
        .prepare("SELECT id, name, kind FROM teams ORDER BY name")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// (id, name, email, team name) of a person.
pub type PersonRow = (String, String, Option<String>, Option<String>);

/// Every person, by name.
pub fn people(ws: &Workspace) -> Result<Vec<PersonRow>> {
    let mut stmt = ws.conn().prepare(
        "SELECT p.id, p.name, p.email, t.name FROM people p LEFT JOIN teams t ON t.id = p.team_id ORDER BY p.name",
    )?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

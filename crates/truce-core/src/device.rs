//! Who is at this laptop. A workspace remembers the person signed in to it here; every change
//! made through a handle opened without an explicit actor is recorded as theirs (by person id,
//! so a renamed person keeps their history). Approving needs a person, and nobody approves their
//! own request: on a laptop that is as strong as the sign-in, and a hub will tie the sign-in to
//! an account and enforce the same rules on its side.

use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::planning::PersonRef;
use crate::Workspace;

/// The person signed in to this workspace on this laptop, if any.
pub fn signed_in(conn: &Connection) -> Result<Option<PersonRef>> {
    Ok(conn
        .query_row(
            "SELECT p.id, p.name FROM device d JOIN people p ON p.id = d.signed_in_person_id",
            [],
            |r| {
                Ok(PersonRef {
                    id: r.get(0)?,
                    name: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// This laptop's id in the workspace (made once, by the migration that added it).
pub(crate) fn device_id(conn: &Connection) -> Result<String> {
    Ok(conn.query_row("SELECT id FROM device", [], |r| r.get(0))?)
}

/// Signs `who` (a person's id, email or name) in on this laptop; from now on changes made
/// through `ws` are theirs. The switch itself is recorded, by whoever was signed in before.
pub fn sign_in(ws: &mut Workspace, who: &str) -> Result<PersonRef> {
    let before = signed_in(ws.conn())?;
    let tx = ws.write_tx()?;
    let Some((id, name)) = crate::planning::person(&tx, who)? else {
        return Err(Error::Invalid(format!(
            "no person '{who}' in this workspace: add them first"
        )));
    };
    tx.execute("UPDATE device SET signed_in_person_id = ?1", [&id])?;
    // The device row is this laptop's own (never shared): the switch is a note.
    let device = device_id(&tx)?;
    let was = before.as_ref().map(|p| format!("after {}", p.id));
    crate::changes::note(
        &tx,
        "device",
        &device,
        "signed_in",
        Some(&id),
        was.as_deref(),
    )?;
    tx.commit()?;
    ws.set_actor(id.clone());
    Ok(PersonRef { id, name })
}

/// Signs whoever is signed in out; changes are then recorded as the OS user again.
pub fn sign_out(ws: &mut Workspace) -> Result<()> {
    let Some(before) = signed_in(ws.conn())? else {
        return Ok(());
    };
    let tx = ws.write_tx()?;
    tx.execute("UPDATE device SET signed_in_person_id = NULL", [])?;
    let device = device_id(&tx)?;
    let was = format!("after {}", before.id);
    crate::changes::note(&tx, "device", &device, "signed_in", None, Some(&was))?;
    tx.commit()?;
    ws.act_as_os_user();
    Ok(())
}

//! The demo workspace: real Nessus reports (embedded, see demo/README.md) plus the
//! people, teams and change windows a newcomer needs to see a plan take shape.

use std::io::Cursor;
use std::path::Path;

use rusqlite::params;

use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::ingest;
use crate::workspace::{OpenOptions, Workspace};

/// (file name, contents) of each embedded report, imported in this order.
pub const DEMO_REPORTS: &[(&str, &[u8])] = &[
    (
        "nessus_v_unknown.nessus",
        include_bytes!("../demo/nessus_v_unknown.nessus"),
    ),
    (
        "nessus_many_vuln.nessus",
        include_bytes!("../demo/nessus_many_vuln.nessus"),
    ),
    (
        "nessus_with_cvssv3.nessus",
        include_bytes!("../demo/nessus_with_cvssv3.nessus"),
    ),
];

/// Writes the demo workspace to `path`, replacing any file there. It is built in a
/// temporary file beside `path` and renamed into place, so a failure leaves what was there.
/// Its imports are dated and its plan placed from `clock`'s now: the caller's (the app's,
/// `$TRUCE_NOW` included, or a test's).
pub fn create_demo(path: &Path, clock: std::sync::Arc<dyn crate::clock::Clock>) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        path: dir.to_path_buf(),
        detail: e.to_string(),
    })?;
    let tmp = tempfile_in(dir)?;
    let built = Workspace::open_with(
        &tmp,
        OpenOptions {
            actor: Some("truce-demo".into()),
            clock,
            ..OpenOptions::default()
        },
    )
    .and_then(|mut ws| {
        seed(&mut ws)?;
        // Fold the WAL into the main file so the rename moves one complete file.
        ws.into_single_file()
    });
    if let Err(e) = built {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
        }
        return Err(e);
    }
    crate::workspace::replace_file(&tmp, path)
}

fn tempfile_in(dir: &Path) -> Result<std::path::PathBuf> {
    let p = dir.join(format!(".demo-{}.truce.tmp", new_id()));
    Ok(p)
}

fn seed(ws: &mut Workspace) -> Result<()> {
    for (name, bytes) in DEMO_REPORTS {
        let mut input = Cursor::new(*bytes);
        ingest::import_reader(ws, name, name, &mut input, None)?;
    }
    let at = ws.now_text();
    let tx = ws.write_tx()?;
    // Environments and criticality the scanner cannot know; ops would set these.
    tx.execute_batch(
        "UPDATE assets SET environment = 'qa', criticality = 'medium' WHERE name LIKE 'qa3app%';
         UPDATE assets SET environment = 'staging', criticality = 'high' WHERE name LIKE 'preprod.%';
         UPDATE assets SET environment = 'prod', criticality = 'critical' WHERE name = 'testphp.vulnweb.com';
         INSERT OR IGNORE INTO asset_tags (asset_id, tag) SELECT id, 'internet-facing' FROM assets WHERE environment = 'prod';",
    )?;
    let linux = new_id();
    let web = new_id();
    let sec = new_id();
    for (id, name, kind) in [
        (&linux, "Linux Ops", "ops"),
        (&web, "Web Platform", "ops"),
        (&sec, "Security", "security"),
    ] {
        tx.execute(
            "INSERT INTO teams (id, name, kind) VALUES (?1, ?2, ?3)",
            params![id, name, kind],
        )?;
    }
    let people = [
        ("Dana Ops", "dana@example.com", &linux, "Europe/Berlin"),
        ("Wes Web", "wes@example.com", &web, "America/New_York"),
        ("Sam Sec", "sam@example.com", &sec, "Europe/Berlin"),
        ("Carla CAB", "carla@example.com", &linux, "Europe/Berlin"),
    ];
    let mut person_ids = Vec::new();
    for (name, email, team, tz) in people {
        let id = new_id();
        tx.execute(
            "INSERT INTO people (id, name, email, team_id, time_zone) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, name, email, team, tz],
        )?;
        person_ids.push(id);
    }
    let windows = [
        (
            "Weekly Linux patching",
            "maintenance",
            "Europe/Berlin",
            "2026-12-01T22:00:00",
            240,
            Some("FREQ=WEEKLY;BYDAY=TU"),
            Some(r#"["qa","staging"]"#),
        ),
        (
            "Monthly prod web window",
            "maintenance",
            "America/New_York",
            "2026-12-13T02:00:00",
            180,
            Some("FREQ=MONTHLY;BYDAY=2SU"),
            Some(r#"["prod"]"#),
        ),
        (
            "Year-end change freeze",
            "blackout",
            "Europe/Berlin",
            "2026-12-18T00:00:00",
            25 * 24 * 60,
            None,
            None,
        ),
    ];
    for (name, kind, tz, start, dur, rrule, envs) in windows {
        tx.execute(
            "INSERT INTO change_windows (id, name, kind, time_zone, starts_local, duration_min, rrule, environments, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![new_id(), name, kind, tz, start, dur, rrule, envs, at],
        )?;
    }
    tx.commit()?;
    plan(ws, &person_ids)
}

/// The first `n` occurrences of `window` from the workspace's now on.
fn next_occurrences(
    ws: &Workspace,
    window: &str,
    n: usize,
) -> Result<Vec<truce_rules::OccurrenceKey>> {
    let now = ws.now();
    Ok(
        crate::calendar::occurrences(ws.conn(), now, now + chrono::Duration::days(70))?
            .into_iter()
            .filter(|o| o.window_id == window)
            .take(n)
            .map(|o| truce_rules::OccurrenceKey {
                window_id: o.window_id,
                start_utc: o.start_utc,
            })
            .collect(),
    )
}

/// Places `item` on `night` as `who` would on the board: through the conflict checks, soft ones
/// confirmed with the reason; a hard one is the demo's own error.
fn place(
    ws: &mut Workspace,
    item: &str,
    night: &truce_rules::OccurrenceKey,
    who: &str,
    reason: &str,
) -> Result<()> {
    use crate::scheduling::actions::{self, ScheduleOutcome};
    let demo = ws.actor().to_string();
    ws.act_as(who)?;
    let now = ws.now();
    let outcome = actions::schedule(ws, &[item.to_string()], night, reason, true, now);
    ws.ctx().set_actor(demo);
    match outcome? {
        ScheduleOutcome::Scheduled { .. } => Ok(()),
        refused => Err(Error::Invalid(format!(
            "the demo's plan does not hold: {refused:?}"
        ))),
    }
}

/// The starting plan, made by the planning engine: ownership rules, grouping, owners, and a
/// few items already on their way (scheduled, approved, done).
fn plan(ws: &mut Workspace, people: &[String]) -> Result<()> {
    use crate::planning::{self, ownership, states, ItemState};
    ownership::add_rule(ws, "environment", "prod", "Web Platform")?;
    ownership::add_rule(ws, "hostname", "qa3app*", "Linux Ops")?;
    ownership::add_rule(ws, "environment", "staging", "Linux Ops")?;
    // No HA groups: every qa item spans all seven qa hosts, and one group over them would
    // make each of those items refuse every occurrence (they would have to be split by node).
    ws.conn()
        .execute_batch("UPDATE assets SET internet_facing = 1 WHERE environment = 'prod';")?;
    planning::regroup(ws)?;
    let (dana, wes, sam, carla) = (&people[0], &people[1], &people[2], &people[3]);
    let items = planning::list_items(ws.conn(), ws.now())?;
    for it in &items {
        let ops = if it.environment.as_deref() == Some("prod") {
            wes
        } else {
            dana
        };
        states::assign(
            ws,
            &it.id,
            Some(ops),
            Some(sam),
            Some(carla),
            "truce-demo",
            "demo owners",
        )?;
    }
    let window = |name: &str| -> Result<String> {
        Ok(ws.conn().query_row(
            "SELECT id FROM change_windows WHERE name = ?1",
            [name],
            |r| r.get(0),
        )?)
    };
    let (linux, web) = (
        window("Weekly Linux patching")?,
        window("Monthly prod web window")?,
    );
    // The qa items (most hosts first) go on the next two Linux patch nights, the critical prod
    // item on the next web window: placed as a person places them, through the conflict checks.
    let qa: Vec<_> = items
        .iter()
        .filter(|i| i.environment.as_deref() == Some("qa"))
        .collect();
    let linux_nights = next_occurrences(ws, &linux, 2)?;
    for (it, night) in qa.iter().zip(&linux_nights) {
        place(ws, &it.id, night, "Dana Ops", "first Linux patch night")?;
    }
    if let Some(it) = qa.first() {
        states::transition(ws, &it.id, ItemState::Approved, carla, "CAB approved")?;
    }
    let prod: Vec<_> = items
        .iter()
        .filter(|i| i.environment.as_deref() == Some("prod"))
        .collect();
    if let (Some(it), Some(night)) = (
        prod.iter()
            .find(|i| i.severity == crate::model::Severity::Critical),
        next_occurrences(ws, &web, 1)?.first(),
    ) {
        place(
            ws,
            &it.id,
            night,
            "Wes Web",
            "the critical PHP upgrade first",
        )?;
    }
    if let Some(it) = qa.last() {
        states::transition(
            ws,
            &it.id,
            ItemState::Deferred,
            "Dana Ops",
            "waiting for the RDP policy change",
        )?;
    }
    Ok(())
}

//! Merging laptops' changes through a hub, in-process: the hub is a list that numbers each
//! operation once (as `truce-hub` does on PostgreSQL, tested there), so these tests can deliver
//! pages in any order and as often as they like. The same merge runs when a laptop pulls over
//! HTTP (`sync::pull`).

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use truce_core::asset_facts::{self, FactsChange};
use truce_core::clock::SetClock;
use truce_core::planning::{people, states};
use truce_core::workspace::OpenOptions;
use truce_core::{ingest, sync, Workspace};
use truce_sync::Stored;

/// What a hub does for these tests: numbers each operation the first time it arrives.
#[derive(Default)]
struct Hub {
    ops: Vec<Stored>,
    seen: HashSet<(String, i64)>,
}

impl Hub {
    /// Everything `ws` made that the hub has not acknowledged, in batches of `batch`.
    fn push(&mut self, ws: &mut Workspace, batch: usize) {
        loop {
            let (ops, last) = sync::unsent(ws, batch).unwrap();
            if ops.is_empty() {
                return;
            }
            for op in ops {
                if self.seen.insert((op.device.clone(), op.hlc)) {
                    let seq = self.ops.len() as i64 + 1;
                    self.ops.push(Stored { seq, op });
                }
            }
            sync::acknowledged(ws, last).unwrap();
        }
    }

    /// Everything after `ws`'s cursor, in pages of `page`, then what follows a merge.
    fn pull(&self, ws: &mut Workspace, page: usize) -> sync::Merged {
        let mut total = sync::Merged::default();
        loop {
            let after = cursor(ws) as usize;
            let ops: Vec<Stored> = self.ops.iter().skip(after).take(page).cloned().collect();
            let Some(last) = ops.last() else { break };
            let m = sync::merge(ws, &ops, last.seq).unwrap();
            total.applied += m.applied;
            total.lost += m.lost;
            total.conflicts += m.conflicts;
            total.refused += m.refused;
            total.facts_changed |= m.facts_changed;
        }
        sync::settle(ws, &total).unwrap();
        total
    }

    fn sync(&mut self, ws: &mut Workspace) -> sync::Merged {
        self.push(ws, 500);
        self.pull(ws, 700)
    }
}

fn cursor(ws: &Workspace) -> i64 {
    common::scalar(ws, "SELECT pulled_seq FROM hub")
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// A laptop: a workspace of its own with its own clock.
fn laptop(dir: &Path, name: &str, clock: &SetClock) -> Workspace {
    Workspace::open_with(
        dir.join(format!("{name}.truce")),
        OpenOptions {
            clock: Arc::new(clock.clone()),
            actor: Some(name.to_string()),
            ..OpenOptions::default()
        },
    )
    .unwrap()
}

/// What two laptops sharing a plan must agree on: every shared table's rows (the recorded ones,
/// the findings' memberships of items, the per-item aggregates).
fn plan(ws: &Workspace) -> String {
    let mut tables: Vec<&str> = truce_core::changes::RECORDED
        .iter()
        .map(|(t, _)| *t)
        .collect();
    tables.push("work_item_stats");
    tables.sort();
    let mut out = String::new();
    for t in tables {
        out.push_str(&format!("== {t}\n"));
        let mut stmt = ws
            .conn()
            .prepare(&format!("SELECT * FROM \"{t}\""))
            .unwrap();
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| match r.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Text(t) => {
                            String::from_utf8_lossy(t).into_owned()
                        }
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        rows.sort();
        out.push_str(&rows.join("\n"));
        out.push('\n');
    }
    out
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            let table = a.lines().take(i).filter(|l| l.starts_with("== ")).last();
            return format!("{table:?} line {i}:\n  {x}\n  {y}");
        }
    }
    format!("lengths {} and {}", a.lines().count(), b.lines().count())
}

fn assert_same_plan(a: &Workspace, b: &Workspace, what: &str) {
    let (pa, pb) = (plan(a), plan(b));
    assert!(pa == pb, "{what}: {}", first_difference(&pa, &pb));
}

fn workspace_id(ws: &Workspace) -> String {
    sync::identity(ws).unwrap().0
}

/// A first laptop with a real scan imported, regrouped into items, and a hub connection.
fn seeded(dir: &Path, clock: &SetClock) -> Workspace {
    let mut a = laptop(dir, "alice", clock);
    let report = common::corpus("tenable/nessus/nessus_v_unknown.xml");
    ingest::import_file(&mut a, &report, None).unwrap();
    people::add_team(&mut a, "Linux Ops", "ops").unwrap();
    truce_core::planning::regroup(&mut a).unwrap();
    sync::connect(&mut a, "http://hub.test").unwrap();
    a
}

fn items(ws: &Workspace) -> Vec<String> {
    ws.conn()
        .prepare("SELECT id FROM work_items ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn title(ws: &Workspace, item: &str) -> String {
    ws.conn()
        .query_row("SELECT title FROM work_items WHERE id = ?1", [item], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn a_laptop_that_joins_has_the_same_plan_and_every_change_in_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SetClock::at(at("2026-12-01T09:00:00Z"));
    let mut a = seeded(dir.path(), &clock);
    assert!(!items(&a).is_empty(), "the scan made work items");
    let mut hub = Hub::default();
    hub.push(&mut a, 1_000);
    let made = hub.ops.len();
    assert!(made > 100, "every finding and more: {made}");

    clock.advance(Duration::hours(1));
    let mut b = laptop(dir.path(), "bob", &clock);
    sync::join(&mut b, "http://hub.test", &workspace_id(&a)).unwrap();
    let merged = hub.pull(&mut b, 250);
    assert_eq!(merged.applied as usize, made, "{merged:?}");
    assert_eq!((merged.lost, merged.conflicts, merged.refused), (0, 0, 0));
    assert_same_plan(&a, &b, "after joining");
    // Every operation is in the joiner's history, as it was made: device, actor, clock.
    let (a_device, b_device) = (sync::identity(&a).unwrap().1, sync::identity(&b).unwrap().1);
    assert_ne!(a_device, b_device);
    assert_eq!(
        common::scalar(
            &b,
            &format!("SELECT count(*) FROM change_log WHERE device = '{a_device}' AND actor = 'alice' AND hub_seq IS NOT NULL")
        ) as usize,
        made
    );
    // Nothing of alice's is sent back as bob's; bob's regroup over the same findings made no
    // item of its own (the items' ids come from their groups).
    let (unsent, _) = sync::unsent(&b, 10_000).unwrap();
    assert!(
        unsent
            .iter()
            .all(|o| o.entity != "work_item" || o.field != "created"),
        "{unsent:?}"
    );
    // A page delivered again (an answer lost on the way, asked again) changes nothing, not even
    // the history.
    let before = (
        plan(&b),
        common::scalar(&b, "SELECT count(*) FROM change_log"),
    );
    let again = sync::merge(&mut b, &hub.ops[..50], 50).unwrap();
    assert_eq!((again.applied, again.duplicates), (0, 50));
    assert_eq!(
        (
            plan(&b),
            common::scalar(&b, "SELECT count(*) FROM change_log")
        ),
        before
    );
}

#[test]
fn two_titles_given_offline_converge_and_the_conflict_is_settled_in_one_decision() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SetClock::at(at("2026-12-01T09:00:00Z"));
    let mut a = seeded(dir.path(), &clock);
    let mut hub = Hub::default();
    hub.sync(&mut a);
    let mut b = laptop(dir.path(), "bob", &clock);
    sync::join(&mut b, "http://hub.test", &workspace_id(&a)).unwrap();
    hub.sync(&mut b);
    let item = items(&a)[0].clone();

    // Offline, each renames the item; bob a minute later.
    clock.advance(Duration::minutes(5));
    states::edit(
        &mut a,
        &item,
        "title",
        "Patch OpenSSH (alice)",
        "alice",
        "on the plane",
    )
    .unwrap();
    clock.advance(Duration::minutes(1));
    states::edit(
        &mut b,
        &item,
        "title",
        "Patch OpenSSH (bob)",
        "bob",
        "in the CAB room",
    )
    .unwrap();
    // Alice's other item changes alone: no conflict.
    let other = items(&a)[1].clone();
    states::edit(
        &mut a,
        &other,
        "title",
        "Only alice renamed this",
        "alice",
        "",
    )
    .unwrap();

    hub.push(&mut a, 500);
    hub.push(&mut b, 500);
    let on_a = hub.pull(&mut a, 500);
    let on_b = hub.pull(&mut b, 500);
    assert_eq!(
        (on_a.conflicts, on_b.conflicts),
        (1, 1),
        "{on_a:?} {on_b:?}"
    );
    assert_same_plan(&a, &b, "after both synced");
    assert_eq!(
        title(&a, &item),
        "Patch OpenSSH (bob)",
        "the later clock wins"
    );
    assert_eq!(title(&b, &other), "Only alice renamed this");

    // Bob's item page shows alice's rename, from her laptop, set aside by his later one.
    let now = at("2026-12-01T10:00:00Z");
    let page = truce_core::planning::item_detail(b.conn(), &item, now).unwrap();
    let hers: Vec<_> = page
        .history
        .iter()
        .filter(|h| h.field == "title" && h.new_value.as_deref() == Some("Patch OpenSSH (alice)"))
        .collect();
    assert_eq!(hers.len(), 1, "{:#?}", page.history);
    assert_eq!(
        hers[0].device.as_deref(),
        Some(sync::identity(&a).unwrap().1.as_str())
    );
    assert!(hers[0].set_aside);
    let his = page
        .history
        .iter()
        .find(|h| h.new_value.as_deref() == Some("Patch OpenSSH (bob)"))
        .unwrap();
    assert_eq!(
        (his.device.as_deref(), his.set_aside),
        (None, false),
        "made here"
    );

    let open = sync::conflicts(&a, None).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    let c = &open[0];
    assert_eq!(
        (c.entity.as_str(), c.field.as_str()),
        ("work_item", "title")
    );
    assert_eq!(c.kept.value, "Patch OpenSSH (bob)");
    assert_eq!(
        c.subject.as_deref(),
        Some("Patch OpenSSH (bob)"),
        "named as people see it"
    );
    assert_eq!(
        (c.other.value.as_str(), c.other.actor.as_str()),
        (Some("Patch OpenSSH (alice)"), "alice")
    );
    assert_eq!(sync::conflicts(&b, None).unwrap().len(), 1);

    // Alice picks her own title; the decision travels like any change and settles bob's too.
    clock.advance(Duration::minutes(1));
    sync::resolve(&mut a, c.id, sync::Side::Other).unwrap();
    assert_eq!(title(&a, &item), "Patch OpenSSH (alice)");
    assert!(sync::conflicts(&a, None).unwrap().is_empty());
    hub.sync(&mut a);
    hub.sync(&mut b);
    assert_eq!(title(&b, &item), "Patch OpenSSH (alice)");
    assert!(sync::conflicts(&b, None).unwrap().is_empty());
    assert_same_plan(&a, &b, "after the decision");

    // Keeping the value the workspace already holds is a decision too.
    clock.advance(Duration::minutes(1));
    states::edit(&mut a, &item, "title", "A", "alice", "").unwrap();
    clock.advance(Duration::seconds(1));
    states::edit(&mut b, &item, "title", "B", "bob", "").unwrap();
    hub.sync(&mut a);
    hub.sync(&mut b);
    hub.sync(&mut a);
    let open = sync::conflicts(&b, None).unwrap();
    assert_eq!(open.len(), 1);
    sync::resolve(&mut b, open[0].id, sync::Side::Kept).unwrap();
    hub.sync(&mut b);
    hub.sync(&mut a);
    assert!(
        sync::conflicts(&a, None).unwrap().is_empty(),
        "settled on alice's laptop"
    );
    assert_eq!(title(&a, &item), "B");
    assert_same_plan(&a, &b, "after keeping");
}

#[test]
fn a_laptop_whose_clock_is_a_day_ahead_does_not_win_once_others_have_seen_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SetClock::at(at("2026-12-01T09:00:00Z"));
    let ahead = SetClock::at(at("2026-12-02T09:00:00Z"));
    let mut a = seeded(dir.path(), &clock);
    let mut hub = Hub::default();
    hub.sync(&mut a);
    let mut b = laptop(dir.path(), "bob", &ahead);
    sync::join(&mut b, "http://hub.test", &workspace_id(&a)).unwrap();
    hub.sync(&mut b);
    let item = items(&a)[0].clone();
    states::edit(&mut b, &item, "title", "bob's, a day ahead", "bob", "").unwrap();
    hub.sync(&mut b);
    hub.sync(&mut a);
    assert_eq!(title(&a, &item), "bob's, a day ahead");
    // Alice, having seen it, edits after it, though her clock says a day earlier.
    clock.advance(Duration::minutes(1));
    states::edit(&mut a, &item, "title", "alice's, later", "alice", "").unwrap();
    hub.sync(&mut a);
    hub.sync(&mut b);
    assert_eq!(
        title(&b, &item),
        "alice's, later",
        "seen, then changed: no conflict, hers wins"
    );
    assert!(sync::conflicts(&b, None).unwrap().is_empty());
    assert_same_plan(&a, &b, "after the skewed laptop synced");
}

#[test]
fn a_laptop_whose_clock_is_a_day_behind_keeps_its_edits() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SetClock::at(at("2026-12-02T09:00:00Z"));
    let behind = SetClock::at(at("2026-12-01T09:00:00Z"));
    let mut a = seeded(dir.path(), &clock);
    let mut hub = Hub::default();
    hub.sync(&mut a);
    let mut b = laptop(dir.path(), "bob", &behind);
    sync::join(&mut b, "http://hub.test", &workspace_id(&a)).unwrap();
    hub.sync(&mut b);
    let (first, second) = (items(&a)[0].clone(), items(&a)[1].clone());

    // Offline, both rename the first item (alice first, by the wall); bob alone the second.
    clock.advance(Duration::minutes(5));
    states::edit(&mut a, &first, "title", "alice's", "alice", "").unwrap();
    behind.advance(Duration::minutes(10));
    states::edit(&mut b, &first, "title", "bob's, a day behind", "bob", "").unwrap();
    states::edit(&mut b, &second, "title", "only bob's", "bob", "").unwrap();
    hub.sync(&mut a);
    hub.sync(&mut b);
    hub.sync(&mut a);
    assert_same_plan(&a, &b, "after both synced");
    assert_eq!(
        title(&a, &second),
        "only bob's",
        "an edit nobody crossed is kept"
    );
    // His clock says earlier, so the crossing rename is alice's; his is set aside, not gone.
    assert_eq!(title(&a, &first), "alice's");
    let open = sync::conflicts(&a, None).unwrap();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].other.value, "bob's, a day behind");

    // Having seen hers, his next change is later than hers though his clock is still behind.
    behind.advance(Duration::minutes(1));
    states::edit(
        &mut b,
        &first,
        "title",
        "bob's, after seeing hers",
        "bob",
        "",
    )
    .unwrap();
    hub.sync(&mut b);
    hub.sync(&mut a);
    assert_eq!(title(&a, &first), "bob's, after seeing hers");
    assert_same_plan(&a, &b, "after bob's second rename");
}

/// Three laptops on one hub (alice's seeded, bob and carol joined), and the first asset's id.
struct Three {
    hub: Hub,
    laptops: [Workspace; 3],
    asset: String,
}

fn three(dir: &Path, clock: &SetClock) -> Three {
    let mut a = seeded(dir, clock);
    let mut hub = Hub::default();
    hub.sync(&mut a);
    let id = workspace_id(&a);
    let mut joined = |name: &str| {
        let mut ws = laptop(dir, name, clock);
        sync::join(&mut ws, "http://hub.test", &id).unwrap();
        hub.sync(&mut ws);
        ws
    };
    let (b, c) = (joined("bob"), joined("carol"));
    let asset: String = a
        .conn()
        .query_row("SELECT id FROM assets ORDER BY id LIMIT 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    Three {
        hub,
        laptops: [a, b, c],
        asset,
    }
}

/// Adds or removes the tag `pci` on `asset`.
fn pci(ws: &mut Workspace, asset: &str, add: bool) {
    let change = FactsChange {
        add_tags: if add { vec!["pci".into()] } else { vec![] },
        remove_tags: if add { vec![] } else { vec!["pci".into()] },
        ..FactsChange::default()
    };
    asset_facts::set(ws, &[asset.to_string()], &change).unwrap();
}

/// How many tags `asset` has.
fn tags(ws: &Workspace, asset: &str) -> i64 {
    common::scalar(
        ws,
        &format!("SELECT count(*) FROM asset_tags WHERE asset_id = '{asset}'"),
    )
}

#[test]
fn a_removed_tag_is_not_brought_back_by_an_older_add_that_arrives_later() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SetClock::at(at("2026-12-01T09:00:00Z"));
    let Three {
        mut hub,
        laptops: [mut a, mut b, mut c],
        asset,
    } = three(dir.path(), &clock);
    // Bob tags the asset and pushes; alice, offline, tags it a minute later; bob removes the
    // tag a minute after that and pushes; alice's add reaches the hub last.
    clock.advance(Duration::minutes(1));
    pci(&mut b, &asset, true);
    hub.push(&mut b, 10);
    clock.advance(Duration::minutes(1));
    pci(&mut a, &asset, true);
    clock.advance(Duration::minutes(1));
    pci(&mut b, &asset, false);
    hub.push(&mut b, 10);
    hub.push(&mut a, 10);
    let on_c = hub.pull(&mut c, 100);
    assert_eq!(on_c.lost, 1, "alice's older add: {on_c:?}");
    hub.pull(&mut a, 100);
    hub.pull(&mut b, 100);
    for ws in [&a, &b, &c] {
        assert_eq!(tags(ws, &asset), 0, "the tag stays removed");
    }
    assert_same_plan(&a, &b, "alice and bob");
    assert_same_plan(&a, &c, "alice and carol");
}

#[test]
fn a_tag_added_again_after_its_removal_was_made_stays_on_every_laptop() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SetClock::at(at("2026-12-01T09:00:00Z"));
    let Three {
        mut hub,
        laptops: [mut a, mut b, mut c],
        asset,
    } = three(dir.path(), &clock);
    // Bob tags it; alice sees that and removes the tag; carol, who never saw either, tags it
    // after alice's removal. The hub receives bob's, carol's, then alice's.
    clock.advance(Duration::minutes(1));
    pci(&mut b, &asset, true);
    hub.push(&mut b, 10);
    hub.pull(&mut a, 10);
    clock.advance(Duration::minutes(1));
    pci(&mut a, &asset, false);
    clock.advance(Duration::minutes(1));
    pci(&mut c, &asset, true);
    hub.push(&mut c, 10);
    hub.push(&mut a, 10);
    for ws in [&mut a, &mut b, &mut c] {
        hub.pull(ws, 10);
        assert_eq!(tags(ws, &asset), 1, "carol's add is the latest");
    }
    assert_same_plan(&a, &b, "alice and bob");
    assert_same_plan(&a, &c, "alice and carol");
}

/// A page from a hub this build cannot apply (a field a newer Truce added, a row named by a
/// broken key) is refused whole with the operation named: nothing changes, the cursor stays, and
/// the next pull tries again after the update.
#[test]
fn a_page_with_an_operation_this_build_does_not_know_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = SetClock::at(at("2026-12-01T09:00:00Z"));
    let Three {
        hub,
        laptops: [a, mut b, _c],
        ..
    } = three(dir.path(), &clock);
    let item = items(&a)[0].clone();
    let good = hub.ops.last().unwrap().op.clone();
    let at_seq = hub.ops.len() as i64;
    let foreign = |field: &str, entity_id: &str, seq: i64| Stored {
        seq,
        op: truce_sync::Op {
            device: "laptop-from-the-future".into(),
            hlc: good.hlc + 1,
            entity: "work_item".into(),
            entity_id: entity_id.into(),
            field: field.into(),
            new_value: "x".into(),
            ..good.clone()
        },
    };
    let before = (
        plan(&b),
        cursor(&b),
        common::scalar(&b, "SELECT count(*) FROM change_log"),
    );
    let renamed = foreign("title", &item, at_seq + 1);
    let unknown = foreign("risk_score_v9", &item, at_seq + 2);
    let e = sync::merge(&mut b, &[renamed, unknown], at_seq + 2).unwrap_err();
    let message = e.to_string();
    assert!(
        message.contains(&format!("operation {}", at_seq + 2))
            && message.contains("work_item.risk_score_v9")
            && message.contains("update Truce"),
        "{message}"
    );
    assert_eq!(
        (
            plan(&b),
            cursor(&b),
            common::scalar(&b, "SELECT count(*) FROM change_log")
        ),
        before,
        "the title in the same page was not applied either"
    );
    let bad_key = Stored {
        op: truce_sync::Op {
            entity: "asset_tag".into(),
            entity_id: "not a key".into(),
            field: "created".into(),
            ..good.clone()
        },
        seq: at_seq + 1,
    };
    let e = sync::merge(&mut b, &[bad_key], at_seq + 1).unwrap_err();
    assert!(e.to_string().contains("not its key"), "{e}");
    assert_eq!(cursor(&b), before.1);
    // What the hub really holds still merges.
    hub.pull(&mut b, 100);
}

/// The app and a `truce` command write one workspace file as one device: each connection's
/// clock goes past what the other wrote, so the hub (which knows a change by its device and clock)
/// never takes one for a copy of another, and a change made after a merge is later than it.
#[test]
fn two_connections_to_one_workspace_never_give_out_the_same_clock() {
    let dir = tempfile::tempdir().unwrap();
    // The clock stands still: only the logical counter tells changes apart.
    let clock = SetClock::at(at("2026-12-01T09:00:00Z"));
    let mut app = laptop(dir.path(), "alice", &clock);
    let mut cli = laptop(dir.path(), "alice", &clock);
    for n in 0..5 {
        people::add_team(&mut app, &format!("App team {n}"), "ops").unwrap();
        people::add_team(&mut cli, &format!("CLI team {n}"), "ops").unwrap();
    }
    let clocks: Vec<i64> = app
        .conn()
        .prepare("SELECT hlc FROM change_log WHERE note = 0")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let distinct: HashSet<i64> = clocks.iter().copied().collect();
    assert_eq!(distinct.len(), clocks.len(), "{clocks:?}");
    assert_eq!(clocks.len(), 10);
}

#[derive(Debug, Clone)]
enum Step {
    /// Laptop `who` renames item number `item` (of the sorted ids).
    Rename { who: usize, item: usize, title: u8 },
    /// Laptop `who` adds or removes a tag on asset number `asset`.
    Tag {
        who: usize,
        asset: usize,
        tag: u8,
        add: bool,
    },
    /// Laptop `who` sets asset number `asset`'s criticality.
    Criticality {
        who: usize,
        asset: usize,
        criticality: u8,
    },
    /// Laptop `who` pushes, in batches of `batch`.
    Push { who: usize, batch: usize },
    /// Laptop `who` pulls, in pages of `page`.
    Pull { who: usize, page: usize },
    /// The clock moves on (milliseconds).
    Tick { ms: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize, 0..4usize, 0..4u8).prop_map(|(who, item, title)| Step::Rename {
            who,
            item,
            title
        }),
        (0..3usize, 0..3usize, 0..2u8, any::<bool>()).prop_map(|(who, asset, tag, add)| {
            Step::Tag {
                who,
                asset,
                tag,
                add,
            }
        }),
        (0..3usize, 0..3usize, 0..3u8).prop_map(|(who, asset, criticality)| Step::Criticality {
            who,
            asset,
            criticality
        }),
        (0..3usize, 1..40usize).prop_map(|(who, batch)| Step::Push { who, batch }),
        (0..3usize, 1..40usize).prop_map(|(who, page)| Step::Pull { who, page }),
        (0..2_000i64).prop_map(|ms| Step::Tick { ms }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Random offline edits on three laptops and random deliveries (pushes in any batch size,
    /// pulls in any page size, in any order): once everyone has pushed and pulled, every laptop
    /// holds the same plan and every operation anyone made.
    #[test]
    fn any_schedule_of_edits_and_deliveries_converges(steps in proptest::collection::vec(step(), 1..60)) {
        let dir = tempfile::tempdir().unwrap();
        let clock = SetClock::at(at("2026-12-01T09:00:00Z"));
        let mut hub = Hub::default();
        let mut first = seeded(dir.path(), &clock);
        hub.sync(&mut first);
        let id = workspace_id(&first);
        let mut laptops = vec![first];
        for name in ["bob", "carol"] {
            let mut ws = laptop(dir.path(), name, &clock);
            sync::join(&mut ws, "http://hub.test", &id).unwrap();
            hub.sync(&mut ws);
            laptops.push(ws);
        }
        let assets: Vec<String> = laptops[0].conn()
            .prepare("SELECT id FROM assets ORDER BY id").unwrap()
            .query_map([], |r| r.get(0)).unwrap()
            .collect::<Result<_, _>>().unwrap();
        let names = ["alice", "bob", "carol"];
        for s in steps {
            match s {
                Step::Rename { who, item, title } => {
                    // Items a regroup emptied are gone; rename one that is there.
                    let here = items(&laptops[who]);
                    let item = &here[item % here.len()];
                    states::edit(&mut laptops[who], item, "title", &format!("title {title}"), names[who], "").unwrap();
                }
                Step::Tag { who, asset, tag, add } => {
                    let tag = format!("tag{tag}");
                    let change = FactsChange {
                        add_tags: if add { vec![tag.clone()] } else { vec![] },
                        remove_tags: if add { vec![] } else { vec![tag] },
                        ..FactsChange::default()
                    };
                    asset_facts::set(&mut laptops[who], &[assets[asset % assets.len()].clone()], &change).unwrap();
                }
                Step::Criticality { who, asset, criticality } => {
                    let change = FactsChange {
                        criticality: Some(["low", "high", "critical"][criticality as usize].to_string()),
                        ..FactsChange::default()
                    };
                    asset_facts::set(&mut laptops[who], &[assets[asset % assets.len()].clone()], &change).unwrap();
                    truce_core::planning::grouping::regroup_if_planning(&mut laptops[who]).unwrap();
                }
                Step::Push { who, batch } => hub.push(&mut laptops[who], batch),
                Step::Pull { who, page } => { hub.pull(&mut laptops[who], page); }
                Step::Tick { ms } => clock.advance(Duration::milliseconds(ms)),
            }
        }
        for ws in laptops.iter_mut() {
            hub.push(ws, 1_000);
        }
        for ws in laptops.iter_mut() {
            hub.pull(ws, 1_000);
        }
        for (i, ws) in laptops.iter().enumerate().skip(1) {
            let (p0, pi) = (plan(&laptops[0]), plan(ws));
            prop_assert!(p0 == pi, "laptop {i}: {}", first_difference(&p0, &pi));
        }
        // Every operation the hub holds is in every laptop's history, as it was made.
        for ws in &laptops {
            let me = sync::identity(ws).unwrap().1;
            let kept: HashSet<(String, i64, String, String)> = ws.conn()
                .prepare("SELECT device, hlc, entity_id, field FROM change_log WHERE hub_seq IS NOT NULL").unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap()
                .collect::<Result<_, _>>().unwrap();
            for s in hub.ops.iter().filter(|s| s.op.device != me) {
                let key = (s.op.device.clone(), s.op.hlc, s.op.entity_id.clone(), s.op.field.clone());
                prop_assert!(kept.contains(&key), "missing from a history: {:?}", s.op);
            }
        }
    }
}

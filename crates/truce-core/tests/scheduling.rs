//! The conflict rules and the auto-planner on hand-built plans, and property tests that no
//! proposal ever breaks a hard constraint.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use truce_core::scheduling::{
    ConflictCode, OccurrenceKey, PlanAsset, PlanItem, Planner, Slot, SlotKind,
};

fn t(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    t(1, 0)
}

fn slot(window: &str, start: DateTime<Utc>, hours: i64) -> Slot {
    Slot {
        key: OccurrenceKey {
            window_id: window.into(),
            start_utc: start,
        },
        name: window.to_uppercase(),
        kind: SlotKind::Maintenance,
        end_utc: start + Duration::hours(hours),
        local_label: start.format("%a %Y-%m-%d %H:%M UTC").to_string(),
        environments: None,
        asset_tags: None,
        teams: None,
        max_assets: None,
        max_items: None,
    }
}

fn blackout(window: &str, start: DateTime<Utc>, hours: i64) -> Slot {
    Slot {
        kind: SlotKind::Blackout,
        ..slot(window, start, hours)
    }
}

fn asset(id: &str) -> PlanAsset {
    PlanAsset {
        id: id.into(),
        name: id.into(),
        tags: vec![],
        ha_group: None,
    }
}

fn ha(id: &str, group: &str) -> PlanAsset {
    PlanAsset {
        ha_group: Some(group.into()),
        ..asset(id)
    }
}

fn item(id: &str, assets: &[&str]) -> PlanItem {
    PlanItem {
        id: id.into(),
        title: format!("fix {id}"),
        team: Some("team-ops".into()),
        team_name: Some("Ops".into()),
        environment: Some("prod".into()),
        assets: assets.iter().map(|a| a.to_string()).collect(),
        due: None,
        risk: 1.0,
        ops_owner: Some("olga".into()),
        approver: Some("amir".into()),
        placed: None,
        wants_plan: true,
        settled: false,
    }
}

fn on(s: &Slot) -> Option<OccurrenceKey> {
    Some(s.key.clone())
}

fn codes(p: &Planner, item: &str, s: &Slot) -> Vec<ConflictCode> {
    p.check(item, &s.key)
        .unwrap()
        .iter()
        .map(|c| c.code)
        .collect()
}

#[test]
fn a_clean_drop_has_no_conflicts() {
    let sat = slot("sat", t(5, 22), 4);
    let p = Planner::new(
        now(),
        vec![sat.clone()],
        vec![item("a", &["h1"])],
        vec![asset("h1")],
    );
    assert_eq!(codes(&p, "a", &sat), vec![]);
}

#[test]
fn scope_by_environment_team_and_tag_is_hard_and_says_what_differs() {
    let mut envs = slot("prod-only", t(5, 22), 4);
    envs.environments = Some(vec!["prod".into(), "staging".into()]);
    let mut teams = slot("db-team", t(6, 22), 4);
    teams.teams = Some(vec!["team-db".into()]);
    let mut tags = slot("pci", t(7, 22), 4);
    tags.asset_tags = Some(vec!["pci".into()]);
    let mut dev = item("dev", &["h1", "h2"]);
    dev.environment = Some("dev".into());
    let mut h2 = asset("h2");
    h2.tags = vec!["pci".into()];
    let p = Planner::new(
        now(),
        vec![envs.clone(), teams.clone(), tags.clone()],
        vec![dev, item("prod", &["h2"])],
        vec![asset("h1"), h2],
    );
    let c = p.check("dev", &envs.key).unwrap();
    assert_eq!(c[0].code, ConflictCode::OutOfScope);
    assert!(c[0].hard);
    assert!(
        c[0].message.contains("prod, staging") && c[0].message.contains("dev"),
        "{}",
        c[0].message
    );
    assert_eq!(codes(&p, "prod", &envs), vec![]);
    let c = p.check("dev", &teams.key).unwrap();
    assert!(c
        .iter()
        .any(|c| c.code == ConflictCode::OutOfScope && c.message.contains("Ops")));
    // Every asset must carry one of the window's tags: h1 has none.
    let c = p.check("dev", &tags.key).unwrap();
    assert_eq!(c[0].code, ConflictCode::OutOfScope);
    assert_eq!(c[0].facts["first"], "h1");
    assert_eq!(c[0].facts["assets_outside"], "1");
    assert_eq!(codes(&p, "prod", &tags), vec![]);
}

#[test]
fn a_blackout_refuses_drops_inside_it_and_on_it_but_only_for_what_it_covers() {
    let sat = slot("sat", t(19, 22), 4);
    let sun = slot("sun", t(27, 22), 4);
    let mut freeze = blackout("freeze", t(18, 0), 24 * 7);
    freeze.environments = Some(vec!["prod".into()]);
    let mut dev = item("dev", &["h1"]);
    dev.environment = Some("dev".into());
    let p = Planner::new(
        now(),
        vec![sat.clone(), sun.clone(), freeze.clone()],
        vec![item("prod", &["h1"]), dev],
        vec![asset("h1")],
    );
    let c = p.check("prod", &sat.key).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].code, ConflictCode::InBlackout);
    assert!(c[0].message.contains("FREEZE"), "{}", c[0].message);
    assert_eq!(c[0].facts["blackout_start"], t(18, 0).to_rfc3339());
    assert_eq!(
        codes(&p, "dev", &sat),
        vec![],
        "the freeze is for prod only"
    );
    assert_eq!(codes(&p, "prod", &sun), vec![], "after the freeze");
    assert_eq!(
        codes(&p, "prod", &freeze)[0],
        ConflictCode::NotAMaintenanceWindow
    );
}

#[test]
fn capacity_counts_other_items_and_distinct_assets_but_not_the_item_itself() {
    let mut sat = slot("sat", t(5, 22), 4);
    sat.max_items = Some(2);
    sat.max_assets = Some(3);
    let mut a = item("a", &["h1", "h2"]);
    a.placed = on(&sat);
    let mut b = item("b", &["h2"]);
    b.placed = on(&sat);
    let p = Planner::new(
        now(),
        vec![sat.clone()],
        vec![a, b, item("c", &["h3"]), item("d", &["h3", "h4"])],
        ["h1", "h2", "h3", "h4"].map(asset).to_vec(),
    );
    let c = p.check("c", &sat.key).unwrap();
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].code, ConflictCode::CapacityExceeded);
    // Two there already: with c it would hold three, over its two.
    assert_eq!(c[0].facts["items"], "3");
    assert!(
        c[0].message
            .contains("takes at most 2 items; with this one it would hold 3"),
        "{}",
        c[0].message
    );
    assert_eq!(
        codes(&p, "a", &sat),
        vec![],
        "already there: not counted twice"
    );
    let c = p.check("d", &sat.key).unwrap();
    assert!(c.iter().any(|c| c.code == ConflictCode::CapacityExceeded
        && c.facts.get("assets") == Some(&"4".to_string())));
}

#[test]
fn two_nodes_of_one_ha_group_are_never_down_together() {
    let sat = slot("sat", t(5, 22), 4);
    let overlapping = slot("sat-late", t(6, 0), 4);
    let sun = slot("sun", t(6, 22), 4);
    let mut a = item("a", &["web1"]);
    a.placed = on(&sat);
    let p = Planner::new(
        now(),
        vec![sat.clone(), overlapping.clone(), sun.clone()],
        vec![a, item("b", &["web2"]), item("both", &["web1", "web2"])],
        vec![ha("web1", "web"), ha("web2", "web")],
    );
    assert_eq!(codes(&p, "b", &sat), vec![ConflictCode::HaGroupTogether]);
    assert_eq!(
        codes(&p, "b", &overlapping),
        vec![ConflictCode::HaGroupTogether]
    );
    assert_eq!(codes(&p, "b", &sun), vec![]);
    let c = p.check("both", &sun.key).unwrap();
    assert_eq!(c[0].code, ConflictCode::HaGroupTogether);
    assert!(c[0].message.contains("split"), "{}", c[0].message);
    // Moving the placed node within its own occurrence is no conflict with itself.
    assert_eq!(codes(&p, "a", &sat), vec![]);
}

#[test]
fn soft_conflicts_late_double_booked_unowned_and_hard_past() {
    let past = slot("past", t(1, 0) - Duration::days(3), 4);
    let early = slot("early", t(3, 22), 4);
    let late = slot("late", t(20, 22), 4);
    let other = slot("other", t(21, 0), 2);
    let mut a = item("a", &["h1"]);
    a.due = Some(t(10, 0));
    a.ops_owner = None;
    a.approver = None;
    let mut b = item("b", &["h1"]);
    b.placed = on(&other);
    let p = Planner::new(
        now(),
        vec![past.clone(), early.clone(), late.clone(), other],
        vec![a, b],
        vec![asset("h1")],
    );
    let c = p.check("a", &late.key).unwrap();
    let got: Vec<_> = c.iter().map(|c| (c.code, c.hard)).collect();
    assert_eq!(
        got,
        vec![
            (ConflictCode::AssetDoubleBooked, false),
            (ConflictCode::AfterDueDate, false),
            (ConflictCode::MissingOpsOwner, false),
            (ConflictCode::MissingApprover, false),
        ]
    );
    let after = &c[1];
    assert!(
        after.message.contains("EARLY"),
        "names the last window meeting the date: {}",
        after.message
    );
    assert!(after.message.contains("2026-12-10"), "{}", after.message);
    assert_eq!(codes(&p, "a", &past)[0], ConflictCode::InThePast);
}

#[test]
fn auto_plan_serves_earliest_due_first_and_explains_each_choice() {
    let mut first = slot("first", t(5, 22), 4);
    first.max_items = Some(1);
    let second = slot("second", t(12, 22), 4);
    let mut urgent = item("urgent", &["h1"]);
    urgent.due = Some(t(7, 0));
    let mut later = item("later", &["h2"]);
    later.due = Some(t(30, 0));
    let mut nowhere = item("nowhere", &["h3"]);
    nowhere.environment = Some("lab".into());
    let mut prod_only = second.clone();
    prod_only.environments = Some(vec!["prod".into()]);
    let mut first_prod = first.clone();
    first_prod.environments = Some(vec!["prod".into()]);
    let p = Planner::new(
        now(),
        vec![first_prod, prod_only],
        // Given in the "wrong" order: the planner orders by due date itself.
        vec![nowhere, later, urgent],
        ["h1", "h2", "h3"].map(asset).to_vec(),
    );
    let proposal = p.propose();
    let placed: Vec<_> = proposal
        .placements
        .iter()
        .map(|p| (p.item_id.as_str(), p.window_name.as_str(), p.meets_due))
        .collect();
    assert_eq!(
        placed,
        vec![("urgent", "FIRST", true), ("later", "SECOND", true)]
    );
    assert!(
        proposal.placements[1].why.contains("1 full"),
        "{}",
        proposal.placements[1].why
    );
    assert_eq!(proposal.unplaced.len(), 1);
    assert_eq!(proposal.unplaced[0].item_id, "nowhere");
    assert!(
        proposal.unplaced[0].why.contains("2 out of scope"),
        "{}",
        proposal.unplaced[0].why
    );
    assert_eq!(proposal.breaches, 0);
}

#[test]
fn auto_plan_says_when_no_window_meets_the_due_date() {
    let s = slot("only", t(20, 22), 4);
    let mut a = item("a", &["h1"]);
    a.due = Some(t(10, 0));
    let p = Planner::new(now(), vec![s], vec![a], vec![asset("h1")]);
    let proposal = p.propose();
    assert_eq!(proposal.breaches, 1);
    assert!(!proposal.placements[0].meets_due);
    assert!(
        proposal.placements[0].why.contains("11 days late"),
        "{}",
        proposal.placements[0].why
    );
}

// ---- property tests ----------------------------------------------------------------------

#[derive(Debug, Clone)]
struct World {
    slots: Vec<Slot>,
    items: Vec<PlanItem>,
    assets: Vec<PlanAsset>,
}

const ENVS: [&str; 3] = ["prod", "staging", "dev"];
const TEAMS: [&str; 2] = ["t1", "t2"];
const TAGS: [&str; 2] = ["pci", "edge"];

fn pick<T: Clone>(v: &[T], mask: u8) -> Option<Vec<T>> {
    if mask == 0 {
        return None;
    }
    Some(
        v.iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, x)| x.clone())
            .collect(),
    )
}

fn world() -> impl Strategy<Value = World> {
    let slot_s = (
        0u32..60,
        1i64..30,
        any::<bool>(),
        0u8..8,
        0u8..4,
        0u8..4,
        proptest::option::of(1u32..4),
        proptest::option::of(1u32..6),
    );
    let asset = (proptest::option::of(0u8..4), 0u8..4);
    let item = (
        0usize..3,
        0usize..2,
        proptest::collection::vec(0usize..16, 1..4),
        proptest::option::of(0u32..60),
        0u8..10,
    );
    (
        proptest::collection::vec(slot_s, 1..25),
        proptest::collection::vec(asset, 16),
        proptest::collection::vec(item, 1..40),
    )
        .prop_map(|(slots, assets, items)| {
            let base = t(1, 0);
            let slots = slots
                .into_iter()
                .enumerate()
                .map(
                    |(i, (h, len, is_blackout, envs, teams, tags, max_items, max_assets))| {
                        let start = base + Duration::hours(h as i64 * 6);
                        let mut s = slot(
                            &format!("w{i}"),
                            start,
                            if is_blackout { len * 4 } else { len },
                        );
                        if is_blackout && i % 3 == 0 {
                            s.kind = SlotKind::Blackout;
                        }
                        s.environments = pick(&ENVS.map(String::from), envs);
                        s.teams = pick(&TEAMS.map(String::from), teams);
                        s.asset_tags = pick(&TAGS.map(String::from), tags);
                        s.max_items = max_items;
                        s.max_assets = max_assets;
                        s
                    },
                )
                .collect();
            let assets = assets
                .into_iter()
                .enumerate()
                .map(|(i, (group, tags))| PlanAsset {
                    id: format!("a{i}"),
                    name: format!("host{i}"),
                    tags: pick(&TAGS.map(String::from), tags).unwrap_or_default(),
                    ha_group: group.map(|g| format!("g{g}")),
                })
                .collect();
            let items = items
                .into_iter()
                .enumerate()
                .map(|(i, (env, team, assets, due, risk))| PlanItem {
                    id: format!("i{i:02}"),
                    title: format!("item {i}"),
                    team: Some(TEAMS[team].into()),
                    team_name: Some(TEAMS[team].into()),
                    environment: Some(ENVS[env].into()),
                    assets: assets.iter().map(|a| format!("a{a}")).collect(),
                    due: due.map(|d| base + Duration::hours(d as i64 * 6)),
                    risk: risk as f64,
                    ops_owner: None,
                    approver: None,
                    placed: None,
                    wants_plan: true,
                    settled: false,
                })
                .collect();
            World {
                slots,
                items,
                assets,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Carry the proposal out, then ask the conflict checker about every placement it made:
    /// never a hard conflict, never an asset booked twice.
    #[test]
    fn no_proposal_breaks_a_hard_constraint(w in world()) {
        let p = Planner::new(now(), w.slots.clone(), w.items.clone(), w.assets.clone());
        let proposal = p.propose();
        prop_assert_eq!(proposal.placements.len() + proposal.unplaced.len(), w.items.len());
        let mut items = w.items.clone();
        for pl in &proposal.placements {
            let it = items.iter_mut().find(|i| i.id == pl.item_id).unwrap();
            it.placed = Some(pl.occurrence.clone());
        }
        let carried = Planner::new(now(), w.slots.clone(), items, w.assets.clone());
        for pl in &proposal.placements {
            for c in carried.check(&pl.item_id, &pl.occurrence).unwrap() {
                prop_assert!(
                    !c.hard && c.code != ConflictCode::AssetDoubleBooked,
                    "{} on {}: {:?}", pl.item_id, pl.window_name, c
                );
            }
        }
    }

    /// The same plan whatever order the items and windows come in.
    #[test]
    fn the_proposal_is_deterministic(w in world(), seed in any::<u64>()) {
        let a = Planner::new(now(), w.slots.clone(), w.items.clone(), w.assets.clone()).propose();
        let mut items = w.items.clone();
        let mut slots = w.slots.clone();
        let n = items.len();
        items.rotate_left((seed as usize) % n);
        slots.reverse();
        let b = Planner::new(now(), slots, items, w.assets.clone()).propose();
        prop_assert_eq!(a, b);
    }
}

#[test]
fn the_forecast_burns_risk_down_as_occurrences_end() {
    let s1 = slot("s1", t(3, 22), 4); // ends 4 Dec 02:00, in week 1
    let s2 = slot("s2", t(10, 22), 4); // ends 11 Dec 02:00, in week 2
    let mut a = item("a", &["h1"]);
    a.placed = on(&s1);
    a.risk = 5.0;
    let mut b = item("b", &["h2"]);
    b.placed = on(&s2);
    b.risk = 3.0;
    let mut c = item("c", &["h3"]);
    c.risk = 2.0;
    c.due = Some(t(9, 0));
    let mut done = item("done", &["h4"]);
    done.settled = true;
    let p = Planner::new(
        now(),
        vec![s1, s2],
        vec![a, b, c, done],
        ["h1", "h2", "h3", "h4"].map(asset).to_vec(),
    );
    let f = p.forecast(3);
    let got: Vec<_> = f
        .iter()
        .map(|w| (w.open_items, w.open_risk, w.overdue_items))
        .collect();
    // Week 0 (1 Dec): all three open; week 1 (8 Dec): a fixed; week 2 (15 Dec): b fixed, c overdue.
    assert_eq!(got, vec![(3, 10.0, 0), (2, 5.0, 0), (1, 2.0, 1)]);
}

#[test]
fn a_multi_item_drop_counts_the_items_dropped_before() {
    let mut sat = slot("sat", t(5, 22), 4);
    sat.max_items = Some(2);
    let mut placed = item("placed", &["h1"]);
    placed.placed = on(&sat);
    let p = Planner::new(
        now(),
        vec![sat.clone()],
        vec![
            placed,
            item("x", &["h2"]),
            item("y", &["h3"]),
            item("z", &["h4"]),
        ],
        ["h1", "h2", "h3", "h4"].map(asset).to_vec(),
    );
    let ids: Vec<String> = ["placed", "x", "y"].map(String::from).to_vec();
    let got: Vec<Vec<ConflictCode>> = p
        .check_many(&ids, &sat.key)
        .unwrap()
        .into_iter()
        .map(|(_, c)| c.into_iter().map(|c| c.code).collect())
        .collect();
    // "placed" is there already; x fills the second place; y is one too many.
    assert_eq!(
        got,
        vec![vec![], vec![], vec![ConflictCode::CapacityExceeded]]
    );
}

//! Benchmarks of the planning engine on a seeded world (`truce_bench::plan`).
//!
//! `bench-plan [--items N] [--weeks W] [--runs R]`:
//! - autoplan: build the planner from 10,000 items and 500 occurrences, then propose a plan;
//! - check: the conflict check of one drop (an item onto an occurrence) once that plan is carried out.

use std::time::Instant;

use truce_bench::plan::world;
use truce_core::scheduling::Planner;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let items = arg("--items", 10_000);
    let weeks = arg("--weeks", 50);
    let runs = arg("--runs", 5);
    let w = world(42, items, weeks);
    let occurrences = w.slots.len();
    let mut times = Vec::new();
    let mut proposal = None;
    for _ in 0..runs {
        let (slots, its, assets) = (w.slots.clone(), w.items.clone(), w.assets.clone());
        let start = Instant::now();
        let planner = Planner::new(w.now, slots, its, assets);
        let p = planner.propose();
        times.push(start.elapsed().as_secs_f64());
        proposal = Some(p);
    }
    let p = proposal.unwrap();
    println!(
        "autoplan  {items} items, {occurrences} occurrences: median {:.1} ms (min {:.1}, max {:.1}, {runs} runs); placed {}, unplaced {}, after due {}",
        median(times.clone()) * 1e3,
        times.iter().cloned().fold(f64::MAX, f64::min) * 1e3,
        times.iter().cloned().fold(0.0, f64::max) * 1e3,
        p.placements.len(),
        p.unplaced.len(),
        p.breaches
    );
    // Carry the plan out, then time single drops against it.
    let mut its = w.items.clone();
    for pl in &p.placements {
        its.iter_mut().find(|i| i.id == pl.item_id).unwrap().placed = Some(pl.occurrence.clone());
    }
    let planner = Planner::new(w.now, w.slots.clone(), its, w.assets.clone());
    let drops = 2_000;
    let start = Instant::now();
    let mut refused = 0;
    for k in 0..drops {
        let item = &planner.items()[(k * 7919) % planner.items().len()];
        let slot = &planner.slots()[(k * 104_729) % planner.slots().len()];
        let conflicts = planner.check(&item.id, &slot.key).unwrap();
        refused += usize::from(conflicts.iter().any(|c| c.hard));
    }
    let per = start.elapsed().as_secs_f64() / drops as f64;
    println!(
        "check     one drop on the carried-out plan: {:.1} µs mean over {drops} drops ({refused} refused)",
        per * 1e6
    );
}

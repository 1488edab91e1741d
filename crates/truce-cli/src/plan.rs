//! `truce plan`, `truce conflicts`, `truce schedule`, `truce forecast`: the scheduling engine
//! from the command line. Every decision is the core's; this parses and prints.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Args;
use truce_core::scheduling::actions::{self, ScheduleOutcome};
use truce_core::scheduling::{load, OccurrenceKey};
use truce_core::{Error, Result, Workspace};

/// The time planning questions are asked at: `--at`, else `TRUCE_NOW`, else now.
#[derive(Args, Clone)]
pub struct Clock {
    /// Plan as of this instant (RFC 3339 or YYYY-MM-DD; default: now, or TRUCE_NOW)
    #[arg(long, value_name = "WHEN", env = "TRUCE_NOW", global = true)]
    pub at: Option<String>,
}

impl Clock {
    pub fn now(&self) -> Result<DateTime<Utc>> {
        match &self.at {
            None => Ok(Utc::now()),
            Some(s) => parse_instant(s),
        }
    }
}

pub use truce_core::calendar::parse_instant;

fn print_json<T: serde::Serialize>(v: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(v).expect("plan types serialize")
    );
}

#[derive(Args)]
pub struct PlanArgs {
    /// Propose an occurrence for every unplaced item (the proposal is printed, not saved)
    #[arg(long)]
    pub auto: bool,
    /// Accept the proposal: every placement, or only those of --item
    #[arg(long, requires = "auto")]
    pub accept: bool,
    /// With --accept: only this item (repeatable)
    #[arg(long = "item", value_name = "ID")]
    pub items: Vec<String>,
    /// With --accept: why placements with soft conflicts (late, double-booked) are accepted;
    /// without it they are left out and listed
    #[arg(long, requires = "accept")]
    pub reason: Option<String>,
    /// How many days ahead to look for occurrences
    #[arg(long, default_value_t = load::HORIZON_DAYS)]
    pub days: i64,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn plan(ws: &mut Workspace, a: PlanArgs) -> Result<ExitCode> {
    if !a.auto {
        return Err(Error::Invalid(
            "say what to do: `truce plan --auto [--accept]`".into(),
        ));
    }
    let now = a.clock.now()?;
    if a.accept {
        let only = (!a.items.is_empty()).then_some(a.items.as_slice());
        let report = actions::accept(ws, only, None, a.reason.as_deref(), now, a.days)?;
        if a.json {
            print_json(&report);
        } else {
            println!("scheduled {} item(s)", report.scheduled.len());
            for s in &report.skipped {
                for c in &s.conflicts {
                    println!("  not scheduled {}: {}", s.item_id, c.message);
                }
            }
            if !report.needs_reason.is_empty() {
                println!(
                    "{} item(s) need a reason (accept them with --reason):",
                    report.needs_reason.len()
                );
                for s in &report.needs_reason {
                    for c in &s.conflicts {
                        println!("  {}: {}", s.item_id, c.message);
                    }
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let proposal = actions::auto_plan(ws, now, a.days, None)?;
    if a.json {
        print_json(&proposal);
    } else {
        for p in &proposal.placements {
            println!(
                "{}  →  {} {}\n    {}",
                p.item_title, p.window_name, p.starts, p.why
            );
        }
        for u in &proposal.unplaced {
            println!("{}  →  not placed\n    {}", u.item_title, u.why);
        }
        println!(
            "{} placed ({} after their due date), {} not placed. Accept with `truce plan --auto --accept`.",
            proposal.placements.len(),
            proposal.breaches,
            proposal.unplaced.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct ConflictsArgs {
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn conflicts(ws: &Workspace, a: ConflictsArgs) -> Result<ExitCode> {
    let all = actions::plan_conflicts(ws, a.clock.now()?)?;
    if a.json {
        print_json(&all);
    } else if all.is_empty() {
        println!("no conflicts in the plan");
    } else {
        for item in &all {
            println!("{} on {}:", item.item_title, item.window_name);
            for c in &item.conflicts {
                println!("  [{}] {}", c.code.as_str(), c.message);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct ScheduleArgs {
    /// Work item ids, dropped in this order
    #[arg(required = true, value_name = "ITEM")]
    pub items: Vec<String>,
    /// The change window (id)
    #[arg(long)]
    pub window: String,
    /// The occurrence's start (RFC 3339, e.g. 2026-12-05T21:00:00Z)
    #[arg(long = "start", value_name = "WHEN")]
    pub start: String,
    /// Only say what would conflict; place nothing
    #[arg(long)]
    pub check: bool,
    /// Accept soft conflicts (late, double-booked, unowned); needs --reason
    #[arg(long)]
    pub confirm: bool,
    /// Why: recorded in each item's history
    #[arg(long, default_value = "")]
    pub reason: String,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn schedule(ws: &mut Workspace, a: ScheduleArgs) -> Result<ExitCode> {
    let now = a.clock.now()?;
    let target = OccurrenceKey {
        window_id: a.window.clone(),
        start_utc: parse_instant(&a.start)?,
    };
    let (checks, outcome) = if a.check {
        (actions::check_drop(ws, &a.items, &target, now)?, "checked")
    } else {
        match actions::schedule(ws, &a.items, &target, &a.reason, a.confirm, now)? {
            ScheduleOutcome::Scheduled { checks } => (checks, "scheduled"),
            ScheduleOutcome::Refused { checks } => (checks, "refused"),
            ScheduleOutcome::NeedsConfirmation { checks } => (checks, "needs_confirmation"),
        }
    };
    if a.json {
        print_json(&serde_json::json!({ "outcome": outcome, "checks": checks }));
    } else {
        for c in &checks {
            if c.conflicts.is_empty() {
                println!("{}: no conflict", c.item_id);
            }
            for x in &c.conflicts {
                let kind = if x.hard { "refused" } else { "confirm" };
                println!("{}: {kind} [{}] {}", c.item_id, x.code.as_str(), x.message);
            }
        }
        match outcome {
            "refused" => println!("nothing scheduled: a hard conflict stands in the way"),
            "needs_confirmation" => {
                println!("nothing scheduled: confirm with --confirm --reason '...'")
            }
            "scheduled" => println!("scheduled {} item(s)", checks.len()),
            _ => {}
        }
    }
    Ok(match outcome {
        "refused" | "needs_confirmation" => ExitCode::from(3),
        _ => ExitCode::SUCCESS,
    })
}

#[derive(Args)]
pub struct ForecastArgs {
    #[arg(long, default_value_t = 12)]
    pub weeks: u32,
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub clock: Clock,
}

pub fn forecast(ws: &Workspace, a: ForecastArgs) -> Result<ExitCode> {
    let weeks = actions::forecast(ws, a.clock.now()?, a.weeks)?;
    if a.json {
        print_json(&weeks);
    } else {
        println!("week of       open items  open risk  overdue");
        for w in &weeks {
            println!(
                "{}  {:>10}  {:>9.0}  {:>7}",
                w.week_start.format("%Y-%m-%d"),
                w.open_items,
                w.open_risk,
                w.overdue_items
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

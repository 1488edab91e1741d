//! `truce items`, `truce teams`, `truce owners`, `truce sla`: the planning engine from the shell.

use std::process::ExitCode;

use clap::Subcommand;
use truce_core::planning::{
    self, exceptions, ownership, people, sla, states, ItemState, WorkItemCard,
};
use truce_core::Error;

#[derive(Subcommand)]
pub enum ItemsCommand {
    /// Every work item: action, team, environment, state, severity, counts, due date, SLA, owners
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Group open findings into work items (new findings join their item; your splits stay).
    /// Rule flags change the saved grouping rules (with --preview: only show what they would do)
    Regroup {
        /// Show what would change without changing anything
        #[arg(long)]
        preview: bool,
        /// Group by owner team: on or off
        #[arg(long, value_name = "on|off")]
        by_team: Option<OnOff>,
        /// Group by environment: on or off
        #[arg(long, value_name = "on|off")]
        by_environment: Option<OnOff>,
        /// Group by the hosts' operating system family (Windows, Ubuntu, enterprise Linux...): on or off
        #[arg(long, value_name = "on|off")]
        by_os_family: Option<OnOff>,
        /// Plan info findings too: on or off
        #[arg(long, value_name = "on|off")]
        include_info: Option<OnOff>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// One item with its findings, commitments and history
    Show {
        #[arg(value_name = "ID")]
        id: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Move an item to another state (backlog, proposed, scheduled, approved, in_progress, done,
    /// verified, failed, rolled_back, deferred)
    Transition {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(value_name = "STATE")]
        state: String,
        /// Why (kept in the item's history)
        #[arg(long, required = true)]
        reason: String,
    },
    /// Set an item's owners: ops owner (assignee), security owner, approver
    Assign {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long, value_name = "PERSON")]
        ops: Option<String>,
        #[arg(long, value_name = "PERSON")]
        security: Option<String>,
        #[arg(long, value_name = "PERSON")]
        approver: Option<String>,
        #[arg(long, default_value = "assigned")]
        reason: String,
    },
    /// Split an item: --by asset (one per host), environment, or ha-node (one node of each HA
    /// group per item); or move the --finding ids given to a new item
    Split {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(
            long,
            value_name = "asset|environment|ha-node",
            conflicts_with = "findings"
        )]
        by: Option<String>,
        #[arg(long = "finding", value_name = "FINDING")]
        findings: Vec<String>,
        #[arg(long, default_value = "split")]
        reason: String,
    },
    /// Merge items with the same fix into INTO (the others are removed, their findings moved)
    Merge {
        #[arg(value_name = "INTO")]
        into: String,
        #[arg(value_name = "OTHER", required = true)]
        from: Vec<String>,
        #[arg(long, default_value = "merged")]
        reason: String,
    },
    /// SLA compliance, mean time to remediate, open risk by team
    Metrics {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

#[derive(Subcommand)]
pub enum TeamsCommand {
    /// Every team and its people
    List,
    /// Add a team
    Add {
        name: String,
        /// ops, security or other
        #[arg(long, default_value = "ops")]
        kind: String,
    },
    /// Add a person
    AddPerson {
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        team: Option<String>,
        /// IANA time zone, e.g. Europe/Berlin
        #[arg(long)]
        time_zone: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum OwnersCommand {
    /// The ownership rules, in the order they are tried
    List,
    /// Add a rule: assets matching it belong to TEAM (first matching rule wins)
    Add {
        /// tag, environment, hostname (glob with * and ?), cidr, os (glob on what scanners report,
        /// e.g. '*windows*'), criticality, ha_group (glob) or internet_facing (yes/no)
        kind: String,
        pattern: String,
        #[arg(long)]
        team: String,
    },
    /// Remove a rule, by its position (see `list`) or id
    Delete { rule: String },
    /// Set an asset's owner by hand (rules no longer change it); --clear gives it back to the rules
    Set {
        asset: String,
        #[arg(long, required_unless_present = "clear")]
        team: Option<String>,
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Subcommand)]
pub enum SlaCommand {
    /// The SLA policies (days)
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Set days for a scope: `severity high 30`, `known_exploited yes 7`,
    /// `internet_facing yes 14 --severity high`, `criticality critical 7 --severity critical`
    Set {
        scope: String,
        value: String,
        days: u32,
        /// For an override: only findings of this severity ('*' = all)
        #[arg(long, default_value = "*")]
        severity: String,
    },
}

pub fn json<T: serde::Serialize>(v: &T) {
    println!("{}", serde_json::to_string_pretty(v).expect("serializes"));
}

/// A stored instant as a line of output shows it: whole seconds drop the stored ".000".
pub fn shown(t: &str) -> String {
    t.strip_suffix(".000Z")
        .map_or_else(|| t.to_string(), |s| format!("{s}Z"))
}

/// The last 8 characters: the random end of a UUIDv7 (its start is a time, shared by items
/// made together). `items show` and the others accept it.
pub fn short(id: &str) -> &str {
    &id[id.len().saturating_sub(8)..]
}

fn line(c: &WorkItemCard) -> String {
    let who =
        |p: &Option<planning::PersonRef>| p.as_ref().map_or("-".to_string(), |p| p.name.clone());
    format!(
        "{}  {:<11} {:<8} {}{}  [{} / {}]  {} of {} findings, {} of {} assets done  due {} ({})  ops {} sec {} appr {}{}\n    {}",
        short(&c.id),
        c.state.as_str(),
        c.severity.as_str(),
        if c.known_exploited { "KEV " } else { "" },
        c.title,
        c.team.as_deref().unwrap_or("no team"),
        c.environment.as_deref().unwrap_or("no env"),
        c.findings_fixed,
        c.findings,
        c.assets_fixed,
        c.assets,
        c.due_at.as_deref().map_or("-".into(), shown),
        c.sla.as_str(),
        who(&c.ops_owner),
        who(&c.security_owner),
        who(&c.approver),
        c.occurrence_start.as_ref().map_or(String::new(), |s| format!("  on {} @ {}", c.window_name.as_deref().unwrap_or("?"), shown(s))),
        c.action,
    )
}

pub fn items(workspace: &crate::Target, command: ItemsCommand) -> Result<ExitCode, Error> {
    let mut ws = crate::existing(workspace)?;
    let now = ws.now();
    match command {
        ItemsCommand::List { json: as_json } => {
            let all = planning::list_items(ws.conn(), now)?;
            if as_json {
                json(&all);
            } else if all.is_empty() {
                println!("no work items (run `truce items regroup`)");
            } else {
                for c in &all {
                    println!("{}", line(c));
                }
            }
        }
        ItemsCommand::Regroup {
            preview,
            by_team,
            by_environment,
            by_os_family,
            include_info,
            json: as_json,
        } => {
            let changed = by_team.is_some()
                || by_environment.is_some()
                || by_os_family.is_some()
                || include_info.is_some();
            let mut rules = planning::grouping::rules(ws.conn())?;
            let set = |flag: Option<OnOff>, was: bool| flag.map_or(was, |f| matches!(f, OnOff::On));
            rules.by_team = set(by_team, rules.by_team);
            rules.by_environment = set(by_environment, rules.by_environment);
            rules.by_os_family = set(by_os_family, rules.by_os_family);
            rules.include_info = set(include_info, rules.include_info);
            let r = match (preview, changed) {
                (true, _) => planning::regroup_preview(&mut ws, Some(rules))?,
                (false, true) => planning::grouping::set_rules(&mut ws, rules)?,
                (false, false) => planning::regroup(&mut ws)?,
            };
            if as_json {
                json(&r);
            } else {
                let verb = if preview { "would create" } else { "created" };
                println!(
                    "{verb} {} items; {} findings joined existing items, {} left theirs, {} empty items removed; {} items",
                    r.created.len(), r.joined, r.left, r.removed, r.items
                );
                for c in &r.created {
                    println!(
                        "  + {} [{} / {}{}] {} findings",
                        c.action,
                        c.team_id.as_deref().unwrap_or("no team"),
                        c.environment.as_deref().unwrap_or("no env"),
                        c.os_family
                            .as_deref()
                            .map(|os| format!(" / {os}"))
                            .unwrap_or_default(),
                        c.findings
                    );
                }
            }
        }
        ItemsCommand::Show { id, json: as_json } => {
            let id = planning::items::resolve_id(ws.conn(), &id)?;
            let d = planning::item_detail(ws.conn(), &id, now)?;
            if as_json {
                json(&d);
            } else {
                println!("{}\n{}", d.item.id, line(&d.item));
                println!("findings:");
                for f in &d.findings {
                    println!(
                        "  {:<8} {:<14} {}  {}  due {}",
                        f.severity.as_str(),
                        f.status.as_str(),
                        f.asset,
                        f.title,
                        f.due_at.as_deref().map_or("-".into(), shown)
                    );
                }
                for c in &d.commitments {
                    println!(
                        "commitment: {} by {} at {}: {} ({})",
                        shown(&c.occurrence_start),
                        c.committed_by,
                        shown(&c.committed_at),
                        c.promise,
                        c.state
                    );
                }
                println!("history:");
                for h in &d.history {
                    println!(
                        "  {}  {}  {}: {} -> {}{}",
                        h.at,
                        h.actor,
                        h.field,
                        h.old_value.as_deref().unwrap_or("-"),
                        h.new_value.as_deref().unwrap_or("-"),
                        h.reason
                            .as_ref()
                            .map_or(String::new(), |r| format!("  ({r})"))
                    );
                }
            }
        }
        ItemsCommand::Transition { id, state, reason } => {
            let id = planning::items::resolve_id(ws.conn(), &id)?;
            let to = ItemState::parse(&state)
                .ok_or_else(|| Error::Invalid(format!("unknown state '{state}'")))?;
            let actor = ws.actor().to_string();
            states::transition(&mut ws, &id, to, &actor, &reason)?;
            println!("{} is now {}", short(&id), to.as_str());
        }
        ItemsCommand::Assign {
            id,
            ops,
            security,
            approver,
            reason,
        } => {
            let id = planning::items::resolve_id(ws.conn(), &id)?;
            let actor = ws.actor().to_string();
            states::assign(
                &mut ws,
                &id,
                ops.as_deref(),
                security.as_deref(),
                approver.as_deref(),
                &actor,
                &reason,
            )?;
            println!("{} assigned", short(&id));
        }
        ItemsCommand::Split {
            id,
            by,
            findings,
            reason,
        } => {
            let id = planning::items::resolve_id(ws.conn(), &id)?;
            let actor = ws.actor().to_string();
            let made = match by {
                Some(by) => {
                    let by = planning::split::SplitBy::parse(&by).ok_or_else(|| {
                        Error::Invalid(format!(
                            "--by '{by}': expected asset, environment or ha-node"
                        ))
                    })?;
                    planning::split::split_by(&mut ws, &id, by, &actor, &reason)?
                }
                None if !findings.is_empty() => {
                    vec![planning::split(&mut ws, &id, &findings, &actor, &reason)?]
                }
                None => {
                    return Err(Error::Invalid(
                        "say how to split: --by asset|environment|ha-node, or --finding ID..."
                            .into(),
                    ))
                }
            };
            println!(
                "{} split: {} new item{} ({})",
                short(&id),
                made.len(),
                if made.len() == 1 { "" } else { "s" },
                made.iter().map(|m| short(m)).collect::<Vec<_>>().join(", ")
            );
        }
        ItemsCommand::Merge { into, from, reason } => {
            let into = planning::items::resolve_id(ws.conn(), &into)?;
            let from = from
                .iter()
                .map(|f| planning::items::resolve_id(ws.conn(), f))
                .collect::<Result<Vec<_>, _>>()?;
            let actor = ws.actor().to_string();
            planning::merge(&mut ws, &into, &from, &actor, &reason)?;
            println!("{} items merged into {}", from.len(), short(&into));
        }
        ItemsCommand::Metrics { json: as_json } => {
            let m = planning::metrics::metrics(ws.conn(), now)?;
            if as_json {
                json(&m);
            } else {
                match m.sla_compliance {
                    Some(c) => println!(
                        "SLA compliance  {:.1}% of {} fixed findings",
                        c * 100.0,
                        m.fixed_with_sla
                    ),
                    None => println!("SLA compliance  - (nothing fixed yet)"),
                }
                match m.mean_days_to_remediate {
                    Some(d) => println!("mean time to remediate  {d:.1} days"),
                    None => println!("mean time to remediate  -"),
                }
                for t in &m.open_risk_by_team {
                    println!(
                        "{:<20} {} open findings, {} items breached, {} at risk",
                        t.team.as_deref().unwrap_or("(no team)"),
                        t.open_findings,
                        t.breached_items,
                        t.at_risk_items
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn teams(workspace: &crate::Target, command: TeamsCommand) -> Result<ExitCode, Error> {
    let mut ws = crate::open(workspace)?;
    match command {
        TeamsCommand::List => {
            for (id, name, kind) in people::teams(&ws)? {
                println!("{}  {name} ({kind})", short(&id));
            }
            for (id, name, email, team) in people::people(&ws)? {
                println!(
                    "  {}  {name} <{}> {}",
                    short(&id),
                    email.unwrap_or_default(),
                    team.unwrap_or_default()
                );
            }
        }
        TeamsCommand::Add { name, kind } => {
            let id = people::add_team(&mut ws, &name, &kind)?;
            println!("added team {name} ({id})");
        }
        TeamsCommand::AddPerson {
            name,
            email,
            team,
            time_zone,
        } => {
            let id = people::add_person(
                &mut ws,
                &name,
                email.as_deref(),
                team.as_deref(),
                time_zone.as_deref(),
            )?;
            println!("added {name} ({id})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn owners(workspace: &crate::Target, command: OwnersCommand) -> Result<ExitCode, Error> {
    let mut ws = crate::existing(workspace)?;
    match command {
        OwnersCommand::List => {
            for r in ownership::rules(ws.conn())? {
                println!("{}. {} {} -> {}", r.position, r.kind, r.pattern, r.team);
            }
        }
        OwnersCommand::Add {
            kind,
            pattern,
            team,
        } => {
            ownership::add_rule(&mut ws, &kind, &pattern, &team)?;
            println!("rule added: {kind} {pattern} -> {team} (applied at the next `truce items regroup`)");
        }
        OwnersCommand::Delete { rule } => {
            ownership::delete_rule(&mut ws, &rule)?;
            println!("rule {rule} removed (owners change at the next `truce items regroup`)");
        }
        OwnersCommand::Set { asset, team, clear } => {
            let team = if clear { None } else { team };
            ownership::set_owner(&mut ws, &asset, team.as_deref(), "set by hand")?;
            println!(
                "{asset}: owner {}",
                team.as_deref().unwrap_or("from the rules")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sla_command(
    workspace: &crate::Target,
    command: Option<SlaCommand>,
) -> Result<ExitCode, Error> {
    let mut ws = crate::existing(workspace)?;
    match command.unwrap_or(SlaCommand::Show { json: false }) {
        SlaCommand::Show { json: as_json } => {
            let all = sla::policies(ws.conn())?;
            if as_json {
                json(&all);
            } else {
                for p in all {
                    let sev = if p.severity == "*" {
                        String::new()
                    } else {
                        format!(" ({} findings)", p.severity)
                    };
                    println!("{:<16} {:<9} {:>4} days{sev}", p.scope, p.value, p.days);
                }
                println!("the smallest number of days that applies wins; at risk = under 25% of the time left");
            }
        }
        SlaCommand::Set {
            scope,
            value,
            days,
            severity,
        } => {
            let p = planning::SlaPolicy {
                scope,
                value,
                severity,
                days,
            };
            sla::set_policy(&mut ws, &p, false)?;
            println!("{} {} = {} days", p.scope, p.value, p.days);
        }
    }
    // Expired exceptions reopen findings whenever policies are looked at (cheap).
    let now = ws.now();
    exceptions::expire(&mut ws, now)?;
    Ok(ExitCode::SUCCESS)
}

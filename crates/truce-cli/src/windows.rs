//! `truce windows ...`: change windows and their occurrences. Parses and prints; the core decides.

use std::process::ExitCode;

use clap::Subcommand;
use truce_core::calendar::{self, ical, WindowKind, WindowSpec};
use truce_core::Error;

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum WindowsCommand {
    /// How many items an occurrence of a window with no limit of its own takes: show it, or set
    /// it to N ('none': no limit)
    DefaultCapacity {
        #[arg(value_name = "N|none")]
        items: Option<String>,
    },
    /// Import maintenance windows and freezes from an iCalendar file or http(s) URL. Importing
    /// the same source again updates its windows instead of duplicating them
    Import {
        /// An .ics file, or an http:// or https:// (or webcal://) URL
        #[arg(value_name = "FILE|URL")]
        source: String,
        /// Treat every event as this kind (maintenance or blackout) instead of reading it from
        /// the event (SUMMARY/CATEGORIES mentioning freeze or blackout, or X-TRUCE-KIND)
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Every window: id, kind, name, zone, first start, duration, rule
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Add a window by hand
    Add {
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. Europe/Berlin
        #[arg(long, value_name = "ZONE")]
        zone: String,
        /// First start, wall time in the zone: 'YYYY-MM-DDTHH:MM'
        #[arg(long, value_name = "LOCAL")]
        start: String,
        /// Length: 4h, 90m, 1h30m, 2d or minutes
        #[arg(long, value_name = "LENGTH")]
        duration: String,
        /// RFC 5545 recurrence rule, e.g. 'FREQ=WEEKLY;BYDAY=TU'
        #[arg(long, value_name = "RRULE")]
        rrule: Option<String>,
        /// maintenance (default) or blackout
        #[arg(long, value_name = "KIND")]
        kind: Option<String>,
        /// An environment the window is for (repeat for several; none means all)
        #[arg(long = "env", value_name = "ENV")]
        environments: Vec<String>,
        /// An asset tag or group the window is for (repeat for several; none means all)
        #[arg(long = "tag", value_name = "TAG")]
        asset_tags: Vec<String>,
        /// A team id the window is for (repeat for several; none means all)
        #[arg(long = "team", value_name = "TEAM")]
        teams: Vec<String>,
        #[arg(long, value_name = "N")]
        max_items: Option<u32>,
        #[arg(long, value_name = "N")]
        max_assets: Option<u32>,
        #[arg(long)]
        description: Option<String>,
        /// Print the window as JSON
        #[arg(long)]
        json: bool,
    },
    /// The concrete occurrences of every window overlapping FROM..TO
    Occurrences {
        /// YYYY-MM-DD (00:00 UTC) or an RFC 3339 time
        #[arg(long, value_name = "DATE")]
        from: String,
        /// YYYY-MM-DD (00:00 UTC) or an RFC 3339 time; not included
        #[arg(long, value_name = "DATE")]
        to: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

fn kind(k: Option<&str>) -> Result<Option<WindowKind>, Error> {
    k.map(|k| {
        WindowKind::parse(k).ok_or_else(|| {
            Error::Invalid(format!("--kind '{k}': expected maintenance or blackout"))
        })
    })
    .transpose()
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).expect("serializes")
}

pub fn run(workspace: &crate::Target, command: WindowsCommand) -> Result<ExitCode, Error> {
    match command {
        WindowsCommand::Import {
            source,
            kind: k,
            json: as_json,
        } => {
            let force = kind(k.as_deref())?;
            let r = if truce_core::calendar::is_url(&source) {
                // Downloaded before the workspace is opened: the app and other commands can go
                // on writing it meanwhile. Ctrl-C stops the download with nothing changed.
                let text = download(&source)?;
                let mut ws = crate::open(workspace)?;
                ical::import_bytes(&mut ws, source.trim(), text.as_bytes(), force)?
            } else {
                let mut ws = crate::open(workspace)?;
                ical::import(&mut ws, &source, force)?
            };
            if as_json {
                println!("{}", json(&r));
            } else {
                println!(
                    "{}: {} created, {} updated, {} removed, {} unchanged",
                    r.source, r.created, r.updated, r.removed, r.unchanged
                );
                for w in &r.kept_in_use {
                    println!("kept {w}: its event is gone from the calendar but items are scheduled on it");
                }
                for o in &r.stranded {
                    println!(
                        "moved away: {o} had items scheduled on it; give them another occurrence"
                    );
                }
            }
        }
        WindowsCommand::DefaultCapacity { items } => {
            let mut ws = crate::existing(workspace)?;
            if let Some(v) = items {
                let max = match v.trim() {
                    "none" => None,
                    n => Some(n.parse::<u32>().map_err(|_| {
                        Error::Invalid(format!("'{n}': give a number of items, or 'none'"))
                    })?),
                };
                let actor = ws.actor().to_string();
                let tx = ws.write_tx()?;
                truce_core::calendar::set_default_max_items(&tx, &actor, max)?;
                tx.commit()?;
            }
            match truce_core::calendar::default_max_items(ws.conn())? {
                Some(n) => println!(
                    "a window with no limit of its own takes at most {n} items per occurrence"
                ),
                None => println!("a window with no limit of its own takes any number of items"),
            }
        }
        WindowsCommand::List { json: as_json } => {
            let ws = crate::existing(workspace)?;
            let all = calendar::list(ws.conn())?;
            if as_json {
                println!("{}", json(&all));
            } else if all.is_empty() {
                println!("no change windows (add one with `truce windows add` or `truce windows import`)");
            } else {
                for w in all {
                    println!(
                        "{}  {:<11}  {}  {} {}  {} min  {}",
                        w.id,
                        w.kind.as_str(),
                        w.name,
                        w.starts_local,
                        w.time_zone,
                        w.duration_min,
                        w.rrule.as_deref().unwrap_or("once")
                    );
                }
            }
        }
        WindowsCommand::Add {
            name,
            zone,
            start,
            duration,
            rrule,
            kind: k,
            environments,
            asset_tags,
            teams,
            max_items,
            max_assets,
            description,
            json: as_json,
        } => {
            let starts_local = calendar::windows::parse_local_text(&start).ok_or_else(|| {
                Error::Invalid(format!(
                    "--start '{start}': expected 'YYYY-MM-DDTHH:MM' (wall time in --zone)"
                ))
            })?;
            let spec = WindowSpec {
                name,
                kind: kind(k.as_deref())?.unwrap_or(WindowKind::Maintenance),
                description,
                time_zone: zone,
                starts_local,
                duration_min: calendar::parse_duration_minutes(&duration)?,
                rrule,
                exrule: None,
                exdates: None,
                rdates: None,
                environments: (!environments.is_empty()).then_some(environments),
                asset_tags: (!asset_tags.is_empty()).then_some(asset_tags),
                teams: (!teams.is_empty()).then_some(teams),
                max_assets,
                max_items,
            };
            let mut ws = crate::open(workspace)?;
            let actor = ws.actor().to_string();
            let tx = ws.write_tx()?;
            let w = calendar::create(&tx, &actor, &spec)?;
            tx.commit()?;
            if as_json {
                println!("{}", json(&w));
            } else {
                println!("added {} window '{}' ({})", w.kind.as_str(), w.name, w.id);
            }
        }
        WindowsCommand::Occurrences {
            from,
            to,
            json: as_json,
        } => {
            let (from, to) = (
                calendar::parse_instant(&from)?,
                calendar::parse_instant(&to)?,
            );
            let ws = crate::existing(workspace)?;
            let all = calendar::occurrences(ws.conn(), from, to)?;
            if as_json {
                println!("{}", json(&all));
            } else {
                for o in all {
                    println!(
                        "{} .. {}  {:<11}  {}  ({} .. {} {})  {}",
                        o.start_utc.format("%Y-%m-%dT%H:%MZ"),
                        o.end_utc.format("%Y-%m-%dT%H:%MZ"),
                        o.kind.as_str(),
                        o.window_name,
                        o.start_zoned,
                        o.end_zoned,
                        o.time_zone,
                        o.window_id
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The calendar at `url` as text; on a terminal, how far it has come on stderr.
fn download(url: &str) -> truce_core::Result<String> {
    use std::io::{IsTerminal, Write};
    let shown = std::io::stderr().is_terminal();
    let progress = |p: truce_core::calendar::Progress| {
        if shown {
            let of = p.total.map(|t| format!(" of {t}")).unwrap_or_default();
            eprint!("\rdownloading {url}: {}{of} bytes", p.received);
            let _ = std::io::stderr().flush();
        }
    };
    let never = std::sync::atomic::AtomicBool::new(false);
    let text = truce_core::calendar::sync::download(
        url,
        &truce_core::calendar::Watch {
            progress: &progress,
            cancel: &never,
        },
    );
    if shown {
        eprintln!();
    }
    text
}

//! `truce`: the same core as the desktop app, for scripts and cron.

mod windows;

use std::path::PathBuf;
use std::process::ExitCode;

mod exceptions;
mod hub;
mod items;
mod plan;
#[cfg(feature = "test-bridge")]
mod serve;
mod sources;

use clap::{Parser, Subcommand};
use truce_core::model::Severity;
use truce_core::workspace::{demo_workspace_path, resolve_workspace_path, WORKSPACE_ENV};
use truce_core::{api, csv_mapping, demo, ingest, Workspace};

#[derive(Parser)]
#[command(
    name = "truce",
    version,
    about = "Vulnerability remediation plans that security and operations agree on"
)]
struct Cli {
    /// The workspace file (default: the OS data folder's truce/workspace.truce)
    #[arg(long, global = true, env = WORKSPACE_ENV, value_name = "PATH")]
    workspace: Option<PathBuf>,

    /// Who does it: a person in the workspace (name, email or id). Default: the person signed in
    /// on this laptop (`truce sign-in`), else the OS user, who cannot approve anything.
    #[arg(long = "as", global = true, value_name = "PERSON")]
    as_person: Option<String>,

    /// Log what Truce does and how long each step takes, to stderr (for support and for
    /// finding what is slow). `TRUCE_LOG` (e.g. `truce=debug`) chooses what in more detail.
    #[arg(long, short = 'v', global = true)]
    verbose: bool,

    #[command(subcommand)]
    command: Command,
}

/// Off unless asked for: `--verbose` logs Truce's steps at debug level, `TRUCE_LOG` takes a
/// filter of its own (tracing-subscriber's syntax). Logs go to stderr, never stdout, so
/// `--json` output stays parseable.
fn init_logging(verbose: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("TRUCE_LOG") {
        Ok(f) if !f.trim().is_empty() => EnvFilter::new(f),
        _ if verbose => EnvFilter::new("truce=debug"),
        _ => return,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_target(true)
        // A step's span, when it closes, says how long it took (time.busy).
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .init();
}

/// The workspace a command works on, and who acts in it.
pub struct Target {
    path: Option<PathBuf>,
    as_person: Option<String>,
}

impl Target {
    fn act(&self, mut ws: Workspace) -> Result<Workspace, truce_core::Error> {
        if let Some(who) = &self.as_person {
            ws.act_as(who)?;
        }
        Ok(ws)
    }
}

/// Opens (creating if need be) the workspace, acting as `--as` when given.
pub fn open(target: &Target) -> Result<Workspace, truce_core::Error> {
    target.act(Workspace::open(resolve_workspace_path(
        target.path.as_deref(),
    ))?)
}

/// Opens the workspace, which must exist, acting as `--as` when given.
pub fn existing(target: &Target) -> Result<Workspace, truce_core::Error> {
    target.act(Workspace::open_existing(resolve_workspace_path(
        target.path.as_deref(),
    ))?)
}

// Parsed once per run: the size of the biggest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Create the demo workspace from real scanner reports (replaces the file if it exists)
    Demo {
        /// Where to write it (default: --workspace, else the OS data folder's truce/demo.truce)
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
    },
    /// Import scanner reports; each file is imported in one transaction
    Import {
        /// Read the files as this format instead of detecting it from their content
        #[arg(long, value_name = "NAME")]
        format: Option<String>,
        /// Print one JSON object per file
        #[arg(long)]
        json: bool,
        /// Report files to import
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List assets with every key they are known by, merge the assets of one machine, or split one that was merged wrongly
    Assets {
        #[command(subcommand)]
        command: AssetsCommand,
    },
    /// Save, list or delete the column mappings that let Truce read any CSV export
    Mapping {
        #[command(subcommand)]
        command: MappingCommand,
    },
    /// The team hub: connect this workspace, push what was recorded here, see what waits
    Hub {
        #[command(subcommand)]
        command: hub::HubCommand,
    },
    /// Scanners' APIs findings are synced from: add, list, test, sync, remove
    Sources {
        #[command(subcommand)]
        command: sources::SourcesCommand,
    },
    /// Change windows (maintenance and blackout): import from iCalendar, add, list, occurrences
    Windows {
        #[command(subcommand)]
        command: windows::WindowsCommand,
    },
    /// Work items: list, regroup, show, transition, assign, schedule
    Items {
        #[command(subcommand)]
        command: Option<items::ItemsCommand>,
        /// Print JSON instead of text (for the list)
        #[arg(long)]
        json: bool,
    },
    /// Propose occurrences for unplaced work items (--auto), and accept the proposal (--accept)
    Plan(plan::PlanArgs),
    /// Check every placed work item against the plan's rules
    Conflicts(plan::ConflictsArgs),
    /// Put work items on a change-window occurrence, after checking for conflicts (--check: only check)
    Schedule(plan::ScheduleArgs),
    /// Open risk week by week if the plan is carried out
    Forecast(plan::ForecastArgs),
    /// Teams and people
    Teams {
        #[command(subcommand)]
        command: items::TeamsCommand,
    },
    /// Exceptions (risk acceptance): list, request, approve, reject, and the policy's limits
    Exceptions {
        #[command(subcommand)]
        command: exceptions::ExceptionsCommand,
    },
    /// Ownership rules: which ops team owns which asset
    Owners {
        #[command(subcommand)]
        command: items::OwnersCommand,
    },
    /// SLA policies: show or set days
    Sla {
        #[command(subcommand)]
        command: Option<items::SlaCommand>,
    },
    /// Record the real backend's answers for the UI's browser tests (developer tool)
    #[cfg(feature = "test-bridge")]
    #[command(hide = true)]
    UiFixture {
        /// Where to write the JSON
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// (For the browser tests) merge the changes made in another workspace file into this one,
    /// as a hub would deliver them: a conflict on a laptop without a hub
    #[cfg(feature = "test-bridge")]
    #[command(hide = true)]
    TestMerge {
        #[arg(long, value_name = "FILE")]
        from: PathBuf,
    },
    /// (For the browser tests) serve the app's commands over HTTP on 127.0.0.1, on --workspace
    #[cfg(feature = "test-bridge")]
    #[command(hide = true)]
    ServeUi {
        /// Port to listen on (0: any free port; the chosen one is printed)
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Write a fresh demo workspace there first
        #[arg(long)]
        demo: bool,
    },
    /// CISA's Known Exploited Vulnerabilities catalog: import it (from its JSON file or URL) to
    /// flag findings whose CVE is in it; imports then flag what they bring in
    Kev {
        #[command(subcommand)]
        command: KevCommand,
    },
    /// Who is signed in to this workspace on this laptop
    Whoami,
    /// Sign in as a person of the workspace: your changes are recorded as theirs, here and in
    /// the app
    SignIn {
        /// Name, email or id (see `truce teams list`)
        #[arg(value_name = "PERSON")]
        person: String,
    },
    /// Sign out: changes are recorded as the OS user again
    SignOut,
    /// Counts of assets, findings, work items and change windows
    Status {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KevCommand {
    /// Read the catalog (known_exploited_vulnerabilities.json, a path or an https URL)
    Import {
        #[arg(value_name = "FILE|URL")]
        source: String,
    },
    /// Which catalog was read last, and when
    Status,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum YesNo {
    Yes,
    No,
}

#[derive(Subcommand)]
enum AssetsCommand {
    /// Set what ops knows of assets (by name or id): environment, tags, criticality,
    /// internet-facing, HA group. Window scope, SLAs, ownership and the HA rule read them
    Set {
        #[arg(value_name = "ASSET", required = true)]
        assets: Vec<String>,
        /// prod, staging, qa... ('' clears it)
        #[arg(long = "env", value_name = "ENV")]
        environment: Option<String>,
        /// low, medium, high or critical
        #[arg(long)]
        criticality: Option<String>,
        #[arg(long, value_name = "yes|no")]
        internet_facing: Option<YesNo>,
        /// The HA group both nodes of a cluster share ('' clears it)
        #[arg(long, value_name = "GROUP")]
        ha_group: Option<String>,
        /// Add a tag (repeatable)
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Remove a tag (repeatable)
        #[arg(long = "untag", value_name = "TAG")]
        untags: Vec<String>,
    },
    /// Every asset: id, name, keys (kind=value) and open findings
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Undo a wrong merge: move KEYs of ASSET to a new asset, with the findings first reported
    /// through them
    Split {
        /// The asset's id (see `truce assets list`)
        #[arg(value_name = "ASSET")]
        asset: String,
        /// A key to move, as kind=value (e.g. ip=10.0.0.5); repeat for several
        #[arg(long = "key", required = true, value_name = "KIND=VALUE")]
        keys: Vec<String>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// One machine known as several assets (by its IP in one scanner, its FQDN in another): move
    /// the keys, findings, scans and tags of OTHERs to ASSET, which is kept
    Merge {
        /// The asset kept (id or name)
        #[arg(value_name = "ASSET")]
        into: String,
        /// The assets merged into it, which go (ids or names)
        #[arg(value_name = "OTHER", required = true)]
        others: Vec<String>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum MappingCommand {
    /// Save (or replace) a column mapping for the CSV header of FILE; files with that header
    /// then import with no flags. Columns are named by their header text (any case).
    Save {
        /// The mapping's name (letters, digits, '-', '_', '.'); `--format csv:NAME` picks it
        #[arg(value_name = "NAME")]
        name: String,
        /// A CSV file whose first line is the header row to map
        #[arg(long = "from", value_name = "FILE")]
        from: PathBuf,
        /// The vulnerability id column (plugin id, rule id, CVE ...)
        #[arg(long, value_name = "COL")]
        id: String,
        /// The host name column (a FQDN or an address in it is read as such)
        #[arg(long = "host", value_name = "COL")]
        hostname: Option<String>,
        /// The fully qualified domain name column
        #[arg(long, value_name = "COL")]
        fqdn: Option<String>,
        /// The IP address column
        #[arg(long, value_name = "COL")]
        ip: Option<String>,
        /// The image / repository / path column (for image and dependency scanners)
        #[arg(long, visible_alias = "image", value_name = "COL")]
        artifact: Option<String>,
        /// The cloud instance id column
        #[arg(long, value_name = "COL")]
        cloud_id: Option<String>,
        /// The vulnerability title column
        #[arg(long, value_name = "COL")]
        title: Option<String>,
        /// The severity column (see --severity-value)
        #[arg(long, value_name = "COL")]
        severity: Option<String>,
        /// The port column: findings are located at "port/protocol"
        #[arg(long, value_name = "COL")]
        port: Option<String>,
        /// The protocol column (tcp, udp ...), with --port
        #[arg(long, value_name = "COL")]
        protocol: Option<String>,
        /// The package column: findings are located at "package@version"
        #[arg(long, value_name = "COL")]
        package: Option<String>,
        /// The installed version column, with --package
        #[arg(long, value_name = "COL")]
        version: Option<String>,
        /// The CVE column (several CVEs may be separated by ',', ';' or spaces)
        #[arg(long, value_name = "COL")]
        cve: Option<String>,
        /// The CVSS base score column (0-10; also gives the severity when none is mapped)
        #[arg(long, value_name = "COL")]
        cvss: Option<String>,
        /// The CVSS vector column
        #[arg(long, value_name = "COL")]
        cvss_vector: Option<String>,
        /// The solution column
        #[arg(long, value_name = "COL")]
        solution: Option<String>,
        /// The fixed version column
        #[arg(long, value_name = "COL")]
        fixed_version: Option<String>,
        /// The description column
        #[arg(long, value_name = "COL")]
        description: Option<String>,
        /// The scan date / last seen column
        #[arg(long, value_name = "COL")]
        seen: Option<String>,
        /// What a severity cell value means, as 'VALUE=critical|high|medium|low|info' (repeatable)
        #[arg(long = "severity-value", value_name = "VALUE=LEVEL")]
        severity_values: Vec<String>,
        /// The scanner name stored with the vulnerabilities (default: csv:NAME)
        #[arg(long, value_name = "NAME")]
        scanner: Option<String>,
    },
    /// List the saved column mappings
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Delete a saved column mapping (what it imported stays)
    Delete {
        #[arg(value_name = "NAME")]
        name: String,
    },
}

/// The first line of `path`, for `mapping save --from`.
fn first_line(path: &std::path::Path) -> Result<String, truce_core::Error> {
    use std::io::{BufRead, Read};
    let unreadable = |e: std::io::Error| truce_core::Error::Unreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut line = Vec::new();
    std::io::BufReader::new(file)
        .take(1 << 20)
        .read_until(b'\n', &mut line)
        .map_err(unreadable)?;
    String::from_utf8(line).map_err(|_| truce_core::Error::Unreadable {
        path: path.to_path_buf(),
        detail: "the header row is not UTF-8 text (export the CSV as UTF-8)".into(),
    })
}

fn mapping_command(
    workspace: &crate::Target,
    command: MappingCommand,
) -> Result<ExitCode, truce_core::Error> {
    match command {
        MappingCommand::Save {
            name,
            from,
            id,
            hostname,
            fqdn,
            ip,
            artifact,
            cloud_id,
            title,
            severity,
            port,
            protocol,
            package,
            version,
            cve,
            cvss,
            cvss_vector,
            solution,
            fixed_version,
            description,
            seen,
            severity_values,
            scanner,
        } => {
            let mut values = std::collections::BTreeMap::new();
            for v in &severity_values {
                let parsed = v
                    .rsplit_once('=')
                    .and_then(|(value, level)| Some((value, Severity::parse(level.trim())?)));
                let Some((value, level)) = parsed else {
                    return Err(truce_core::Error::Invalid(format!(
                        "--severity-value '{v}': expected 'VALUE=LEVEL', LEVEL one of critical, high, medium, low, info"
                    )));
                };
                values.insert(value.to_string(), level);
            }
            let mapping = csv_mapping::Mapping {
                id,
                hostname,
                fqdn,
                ip,
                artifact,
                cloud_id,
                title,
                severity,
                port,
                protocol,
                package,
                version,
                cve,
                cvss,
                cvss_vector,
                solution,
                fixed_version,
                description,
                seen,
                severity_values: values,
                scanner,
            };
            let header = first_line(&from)?;
            let mut ws = crate::open(workspace)?;
            let saved =
                csv_mapping::save(&mut ws, &name, &mapping, &header).map_err(|e| match e {
                    truce_core::Error::Invalid(text) => {
                        truce_core::Error::Invalid(format!("{}: {text}", from.display()))
                    }
                    other => other,
                })?;
            println!(
                "saved column mapping '{}' ({} of {} columns mapped); files with this header now import as csv:{}",
                saved.name,
                saved.mapping.columns().len(),
                saved.header.len(),
                saved.name
            );
            if let Ok(f) = ingest::choose_format("", None, header.as_bytes()) {
                println!(
                    "note: Truce reads files with this header as {} by itself; import them with --format csv:{} to use this mapping",
                    f.name(),
                    saved.name
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        MappingCommand::List { json } => {
            let ws = crate::existing(workspace)?;
            let all = csv_mapping::list(ws.conn())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&all).expect("mappings serialize")
                );
            } else if all.is_empty() {
                println!("no column mappings saved (save one with `truce mapping save`)");
            } else {
                for m in all {
                    let cols: Vec<String> = m
                        .mapping
                        .columns()
                        .iter()
                        .map(|(role, col)| format!("{role}={col}"))
                        .collect();
                    println!(
                        "{}\tscanner {}\tupdated {}\t{}",
                        m.name,
                        m.mapping.scanner_for(&m.name),
                        m.updated_at,
                        cols.join(", ")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        MappingCommand::Delete { name } => {
            let mut ws = crate::existing(workspace)?;
            csv_mapping::delete(&mut ws, &name)?;
            println!("deleted column mapping '{name}'");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// As the app does after an import: once planning is in use, new findings join their work
/// items (a regroup keeps people's decisions). The imports stay whatever happens here.
fn join_work_items(ws: &mut Workspace, json: bool) {
    match truce_core::planning::grouping::regroup_if_planning(ws) {
        // `--json` prints one import report per line and nothing else.
        Ok(Some(r)) if !json => println!(
            "work items: {} created; {} findings joined existing items, {} left theirs; {} items",
            r.created.len(),
            r.joined,
            r.left,
            r.items
        ),
        Ok(_) => {}
        Err(e) => eprintln!(
            "truce: the import is kept, but its findings did not join work items: {e} (run `truce items regroup`)"
        ),
    }
}

fn main() -> ExitCode {
    // mimalloc, purging freed memory at once (crates/truce-alloc).
    truce_alloc::tune();
    // `truce items | head`: a closed pipe ends the program quietly, as it does for other
    // command-line tools, instead of a panic from println!.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let workspace = resolve_workspace_path(cli.workspace.as_deref());
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // A read-only file or a full disk, named as the workspace it happened to.
            eprintln!("truce: {}", e.in_workspace(&workspace));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, truce_core::Error> {
    let target = Target {
        path: cli.workspace.clone(),
        as_person: cli.as_person.clone(),
    };
    match cli.command {
        Command::Demo { path } => {
            let path = path.or(cli.workspace).unwrap_or_else(demo_workspace_path);
            demo::create_demo(&path, truce_core::here::clock())?;
            let ws = Workspace::open_existing(&path)?;
            let c = api::counts(&ws)?;
            println!(
                "Demo workspace written to {}: {} assets, {} findings ({} open), {} work items, {} change windows",
                path.display(), c.assets, c.findings, c.open_findings, c.work_items, c.change_windows
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            format,
            json,
            files,
        } => {
            let mut ws = open(&target)?;
            let (mut failed, mut imported) = (false, false);
            for file in files {
                let result = ingest::import_file(&mut ws, &file, format.as_deref());
                imported |= result.is_ok();
                match result {
                    Ok(r) if json => println!("{}", serde_json::to_string(&r).expect("report serializes")),
                    Ok(r) => println!(
                        "{}: {} ({} assets, {} findings): {} new, {} closed, {} reopened, {} unchanged",
                        r.file, r.format, r.assets, r.findings, r.new, r.closed, r.reopened, r.unchanged
                    ),
                    Err(e) => {
                        eprintln!("truce: {}", e.in_workspace(ws.path()));
                        failed = true;
                    }
                }
            }
            if imported {
                join_work_items(&mut ws, json);
            }
            Ok(if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Assets { command } => assets_command(&target, command),
        Command::Mapping { command } => mapping_command(&target, command),
        Command::Windows { command } => windows::run(&target, command),
        Command::Hub { command } => hub::run(&target, command),
        Command::Sources { command } => sources::run(&target, command),
        Command::Items { command, json } => items::items(
            &target,
            command.unwrap_or(items::ItemsCommand::List { json }),
        ),
        Command::Plan(a) => plan::plan(&mut existing(&target)?, a),
        Command::Conflicts(a) => plan::conflicts(&existing(&target)?, a),
        Command::Schedule(a) => plan::schedule(&mut existing(&target)?, a),
        Command::Forecast(a) => plan::forecast(&existing(&target)?, a),
        Command::Teams { command } => items::teams(&target, command),
        Command::Owners { command } => items::owners(&target, command),
        Command::Exceptions { command } => exceptions::run(&target, command),
        Command::Sla { command } => items::sla_command(&target, command),
        #[cfg(feature = "test-bridge")]
        Command::ServeUi { port, demo } => {
            let path = cli.workspace.clone().unwrap_or_else(demo_workspace_path);
            serve::serve(&path, port, demo)
        }
        #[cfg(feature = "test-bridge")]
        Command::TestMerge { from } => test_merge(&target, &from),
        #[cfg(feature = "test-bridge")]
        Command::UiFixture { out } => {
            let dir = std::env::temp_dir().join(format!("truce-ui-fixture-{}", std::process::id()));
            let recorded = truce_facade::ui_fixture::record(&dir)?;
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::write(
                &out,
                serde_json::to_string_pretty(&recorded).expect("fixture serializes"),
            )
            .map_err(|e| truce_core::Error::Io {
                path: out.clone(),
                detail: e.to_string(),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Kev { command } => {
            let mut ws = open(&target)?;
            match command {
                KevCommand::Import { source } => {
                    let now = ws.now();
                    let r = truce_core::kev::import(&mut ws, &source, now)?;
                    println!(
                        "KEV catalog {} (released {}): {} CVEs; {} vulnerabilities newly flagged known exploited",
                        r.version, r.released, r.entries, r.flagged
                    );
                }
                KevCommand::Status => match truce_core::kev::status(ws.conn())? {
                    Some((version, released, entries, source, at)) => println!(
                        "KEV catalog {version} (released {released}), {entries} CVEs, read from {source} at {at}"
                    ),
                    None => println!("no KEV catalog read yet: `truce kev import https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json`"),
                },
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Whoami => {
            let ws = existing(&target)?;
            match truce_core::device::signed_in(ws.conn())? {
                Some(p) => println!("{} ({})", p.name, p.id),
                None => println!(
                    "nobody is signed in here; changes are recorded as {}",
                    ws.actor()
                ),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::SignIn { person } => {
            let mut ws = existing(&target)?;
            let p = truce_core::device::sign_in(&mut ws, &person)?;
            println!("signed in as {} ({})", p.name, p.id);
            Ok(ExitCode::SUCCESS)
        }
        Command::SignOut => {
            let mut ws = existing(&target)?;
            truce_core::device::sign_out(&mut ws)?;
            println!("signed out; changes are recorded as {}", ws.actor());
            Ok(ExitCode::SUCCESS)
        }
        Command::Status { json } => {
            let ws = existing(&target)?;
            let c = api::counts(&ws)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&c).expect("counts serialize")
                );
            } else {
                println!("workspace      {}", ws.path().display());
                println!("assets         {}", c.assets);
                println!("findings       {} ({} open)", c.findings, c.open_findings);
                let s = &c.open_by_severity;
                println!(
                    "  open by severity: {} critical, {} high, {} medium, {} low, {} info",
                    s.critical, s.high, s.medium, s.low, s.info
                );
                println!("work items     {}", c.work_items);
                println!("change windows {}", c.change_windows);
                println!("imports        {}", c.imports);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn assets_command(
    workspace: &crate::Target,
    command: AssetsCommand,
) -> Result<ExitCode, truce_core::Error> {
    let mut ws = crate::existing(workspace)?;
    match command {
        AssetsCommand::List { json } => {
            let assets = truce_core::assets::list(&ws)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&assets).expect("assets serialize")
                );
            } else {
                for a in assets {
                    let mut facts = vec![
                        a.environment.clone().unwrap_or_else(|| "no env".into()),
                        a.criticality.clone(),
                    ];
                    if a.internet_facing {
                        facts.push("internet-facing".into());
                    }
                    if let Some(g) = &a.ha_group {
                        facts.push(format!("HA {g}"));
                    }
                    facts.extend(a.tags.iter().map(|t| format!("#{t}")));
                    println!(
                        "{}  {}  ({} open)  [{}]  {}",
                        a.id,
                        a.name,
                        a.open_findings,
                        facts.join(", "),
                        a.identifiers.join(", ")
                    );
                }
            }
        }
        AssetsCommand::Set {
            assets,
            environment,
            criticality,
            internet_facing,
            ha_group,
            tags,
            untags,
        } => {
            let change = truce_core::asset_facts::FactsChange {
                environment: environment.map(Some),
                criticality,
                internet_facing: internet_facing.map(|f| matches!(f, YesNo::Yes)),
                ha_group: ha_group.map(Some),
                add_tags: tags,
                remove_tags: untags,
            };
            let n = truce_core::asset_facts::set(&mut ws, &assets, &change)?;
            println!("{n} change(s) on {} asset(s)", assets.len());
        }
        AssetsCommand::Split { asset, keys, json } => {
            let r = truce_core::assets::split(&mut ws, &asset, &keys)?;
            if json {
                println!("{}", serde_json::to_string(&r).expect("report serializes"));
            } else {
                println!(
                    "{} split off as {} ({}) with {} findings",
                    r.identifiers.join(", "),
                    r.name,
                    r.asset,
                    r.findings
                );
            }
        }
        AssetsCommand::Merge { into, others, json } => {
            let r = truce_core::assets::merge(&mut ws, &into, &others)?;
            if json {
                println!("{}", serde_json::to_string(&r).expect("report serializes"));
            } else {
                println!(
                    "{} merged into {}: {} findings moved, {} found on both kept once; now also known by {}",
                    r.merged.join(", "),
                    r.name,
                    r.findings,
                    r.combined,
                    r.identifiers.join(", ")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Delivers `from`'s own changes to the workspace as a hub would (numbered by their clocks, which
/// only grow on one device): an empty workspace first takes `from`'s id, as one joining a hub does.
#[cfg(feature = "test-bridge")]
fn test_merge(target: &Target, from: &std::path::Path) -> Result<ExitCode, truce_core::Error> {
    use truce_core::sync;
    let other = truce_core::Workspace::open_existing(from)?;
    let (ops, _) = sync::unsent(&other, 10_000_000)?;
    let (id, _) = sync::identity(&other)?;
    drop(other);
    let mut ws = open(target)?;
    if sync::hub_url(&ws)?.is_none() {
        if sync::identity(&ws)?.0 == id {
            sync::connect(&mut ws, "http://hub.invalid")?;
        } else {
            sync::join(&mut ws, "http://hub.invalid", &id)?;
        }
    }
    let stored: Vec<sync::Stored> = ops
        .into_iter()
        .map(|op| sync::Stored { seq: op.hlc, op })
        .collect();
    let next = stored.last().map_or(0, |s| s.seq);
    let merged = sync::merge(&mut ws, &stored, next)?;
    sync::settle(&mut ws, &merged)?;
    println!(
        "merged {} changes ({} older, {} conflicts)",
        merged.applied, merged.lost, merged.conflicts
    );
    Ok(ExitCode::SUCCESS)
}

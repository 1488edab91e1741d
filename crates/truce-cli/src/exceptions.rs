//! `truce exceptions`: risk acceptance, asked for by one person and decided by another.

use std::process::ExitCode;

use clap::Subcommand;
use truce_core::model::Severity;
use truce_core::planning::exceptions::{self, ExceptionRow, Filter};
use truce_core::{planning, Error};
use truce_facade::board;

use crate::items::{json, short};

#[derive(Subcommand)]
pub enum ExceptionsCommand {
    /// Exceptions, soonest expiry first
    List {
        /// Only those awaiting a decision or in force that end within DAYS
        #[arg(long, value_name = "DAYS")]
        expiring: Option<u32>,
        /// Only those of this work item
        #[arg(long, value_name = "ITEM")]
        item: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Ask to accept the risk of a work item until a date (as the person signed in, or --as)
    Request {
        #[arg(value_name = "ITEM")]
        item: String,
        #[arg(long, required = true)]
        justification: String,
        /// What limits the risk meanwhile (a WAF rule, segmentation...)
        #[arg(long)]
        control: Option<String>,
        /// Until when: YYYY-MM-DD (the end of that day, UTC) or RFC 3339
        #[arg(long, required = true, value_name = "DATE")]
        expires: String,
    },
    /// Approve an exception: its findings are risk accepted until it expires
    Approve {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long, required = true)]
        reason: String,
    },
    /// Reject an exception: its findings stay open
    Reject {
        #[arg(value_name = "ID")]
        id: String,
        #[arg(long, required = true)]
        reason: String,
    },
    /// The longest an exception may run, by the severity of the worst finding it covers
    Policy {
        /// Set SEVERITY's maximum to DAYS
        #[arg(long, num_args = 2, value_names = ["SEVERITY", "DAYS"])]
        set: Option<Vec<String>>,
    },
}

pub fn run(target: &crate::Target, command: ExceptionsCommand) -> Result<ExitCode, Error> {
    let mut ws = crate::existing(target)?;
    let now = ws.now();
    exceptions::expire(&mut ws, now)?;
    match command {
        ExceptionsCommand::List {
            expiring,
            item,
            json: as_json,
        } => {
            let item = item
                .map(|i| planning::items::resolve_id(ws.conn(), &i))
                .transpose()?;
            let rows = exceptions::list(
                ws.conn(),
                &Filter {
                    item: item.as_deref(),
                    ending_before: expiring.map(|d| now + chrono::Duration::days(i64::from(d))),
                },
            )?;
            if as_json {
                json(&rows);
            } else if rows.is_empty() {
                println!("no exceptions");
            } else {
                rows.iter().for_each(print_row);
            }
        }
        ExceptionsCommand::Request {
            item,
            justification,
            control,
            expires,
        } => {
            let id = planning::items::resolve_id(ws.conn(), &item)?;
            let actor = ws.actor().to_string();
            let e = exceptions::request(
                &mut ws,
                &exceptions::Ask {
                    target: exceptions::Target::Item(&id),
                    justification: &justification,
                    compensating_control: control.as_deref(),
                    expires_at: board::expiry(&expires)?,
                },
                &actor,
                now,
            )?;
            println!(
                "exception {e} requested for {}; it needs another person's approval",
                short(&id)
            );
        }
        ExceptionsCommand::Approve { id, reason } => {
            let actor = ws.actor().to_string();
            exceptions::approve(&mut ws, &id, &actor, &reason, now)?;
            println!("exception {id} approved");
        }
        ExceptionsCommand::Reject { id, reason } => {
            let actor = ws.actor().to_string();
            exceptions::reject(&mut ws, &id, &actor, &reason, now)?;
            println!("exception {id} rejected");
        }
        ExceptionsCommand::Policy { set } => {
            if let Some(v) = set {
                let severity = Severity::parse(&v[0]).ok_or_else(|| {
                    Error::Invalid(format!(
                        "severity '{}': expected critical, high, medium, low or info",
                        v[0]
                    ))
                })?;
                let days: u32 = v[1]
                    .parse()
                    .map_err(|_| Error::Invalid(format!("'{}' is not a number of days", v[1])))?;
                exceptions::set_policy(&mut ws, severity, days)?;
            }
            for (severity, days) in exceptions::policies(ws.conn())? {
                println!("{:<9} {days:>4} days at most", severity.as_str());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_row(e: &ExceptionRow) {
    let decided = match (&e.decided_by, &e.decided_reason) {
        (Some(by), Some(why)) => format!(", {} by {by}: “{why}”", e.state),
        _ => String::new(),
    };
    println!(
        "{}  {:<9} until {}  {}  asked by {}{decided}\n    “{}”",
        e.id,
        e.state,
        &e.expires_at[..10.min(e.expires_at.len())],
        e.item_title.as_deref().unwrap_or("(a finding)"),
        e.requested_by,
        e.justification
    );
}

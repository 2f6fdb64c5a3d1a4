//! `support`: the inbox from the command line — list, show, reply (delivered by the running bot's
//! outbox), close.

use crate::db::Store;
use crate::error::{Error, Result};
use crate::time::local_datetime;
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum SupportCommand {
    /// Tickets, newest activity first
    List {
        /// Only open tickets
        #[arg(long)]
        open: bool,
    },
    /// One ticket with every message
    Show { id: i64 },
    /// Answer a ticket; the running bot delivers it to the user
    Reply {
        id: i64,
        /// The answer, as plain text
        #[arg(long, value_name = "F")]
        text_file: PathBuf,
    },
    /// Close a ticket (the user's next message opens a new one)
    Close { id: i64 },
}

pub(super) fn run(store: &Store, cmd: SupportCommand) -> Result<ExitCode> {
    match cmd {
        SupportCommand::List { open } => {
            let tickets = store.tickets(open, 1000)?;
            if tickets.is_empty() {
                println!("no tickets");
            }
            for t in tickets {
                let last: String = t.last.chars().take(60).collect();
                println!(
                    "#{:<5} {:<6} user {:<12} {:>3} messages, last {}  {}",
                    t.id,
                    if t.open { "open" } else { "closed" },
                    t.telegram_id,
                    t.messages,
                    local_datetime(t.updated_at),
                    last.replace('\n', " ")
                );
            }
        }
        SupportCommand::Show { id } => {
            let (t, messages) = store
                .ticket(id)?
                .ok_or_else(|| Error::invalid(format!("there is no ticket #{id}")))?;
            println!(
                "ticket #{} ({}), user {}, opened {}",
                t.id,
                if t.open { "open" } else { "closed" },
                t.telegram_id,
                local_datetime(t.created_at)
            );
            for m in messages {
                let who = match (m.from_admin, m.admin_id) {
                    (false, _) => "user".to_string(),
                    (true, Some(a)) => format!("admin {a}"),
                    (true, None) => "admin (cli)".to_string(),
                };
                let photo = if m.photo.is_some() { " [photo]" } else { "" };
                println!(
                    "\n{} {who}{photo}:\n{}",
                    local_datetime(m.created_at),
                    m.text
                );
            }
        }
        SupportCommand::Reply { id, text_file } => {
            let text = std::fs::read_to_string(&text_file)
                .map_err(|e| Error::io(format!("reading {}", text_file.display()), e))?;
            let text = text.trim();
            if text.is_empty() {
                return Err(Error::invalid(format!("{} is empty", text_file.display())));
            }
            if text.chars().count() > 4096 {
                return Err(Error::invalid(
                    "the answer is longer than Telegram's 4096 characters",
                ));
            }
            match store.answer_ticket(id, None, text, None)? {
                Some(_) => println!("answer to ticket #{id} queued; the running bot delivers it"),
                None => return Err(Error::invalid(format!("there is no ticket #{id}"))),
            }
        }
        SupportCommand::Close { id } => {
            if store.close_ticket(id)? {
                println!("ticket #{id} closed");
            } else {
                return Err(Error::invalid(format!("there is no open ticket #{id}")));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

//! `fleck admin …`: user management and configuration checks from the command line.

use std::io::BufRead;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use fleck_core::operator::{self, Operator};
use fleck_core::store::Page;
use fleck_core::users::{ServerRole, User, UserInput};
use fleck_core::Core;

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a user; the server's first user becomes admin
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The password (visible to other local users in the process list; prefer --password-stdin)
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
        /// Server role: admin, user, guest or archived
        #[arg(long, default_value = "user")]
        role: String,
    },
    /// Change a user's server role (admin, user, guest, archived)
    SetRole {
        /// The user's e-mail or id
        user: String,
        role: String,
    },
    /// List users, oldest first
    ListUsers {
        /// Only users whose e-mail or name contains this
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// One JSON object per line instead of a table
        #[arg(long)]
        json: bool,
    },
    /// Send an e-mail now through the configured mailer, to check the mail configuration
    SendTestEmail { to: String },
    /// Check that every backend answers
    Check,
}

impl AdminCommand {
    pub async fn run(self, core: &Core) -> anyhow::Result<()> {
        let operator = Operator::command_line();
        match self {
            AdminCommand::CreateUser {
                email,
                name,
                password,
                password_stdin,
                role,
            } => {
                let password = if password_stdin {
                    Some(read_password()?)
                } else {
                    password
                };
                let role: ServerRole = role.parse()?;
                let input = UserInput {
                    email,
                    name,
                    company: None,
                    password,
                };
                let user = operator::create_user(core, &operator, input, role).await?;
                println!(
                    "created {} <{}> with id {} as {}",
                    user.name, user.email, user.id, user.role
                );
            }
            AdminCommand::SetRole { user, role } => {
                let role: ServerRole = role.parse()?;
                let updated = operator::set_server_role(core, &operator, &user, role).await?;
                println!(
                    "{} <{}> is now {}",
                    updated.name, updated.email, updated.role
                );
            }
            AdminCommand::ListUsers {
                search,
                limit,
                offset,
                json,
            } => {
                let users = operator::list_users(
                    core,
                    &operator,
                    search.as_deref(),
                    Page { limit, offset },
                )
                .await?;
                print_users(&users, json)?;
            }
            AdminCommand::SendTestEmail { to } => {
                operator::send_test_email(core, &operator, &to).await?;
                println!("sent a test e-mail to {to} through {}", core.mailer.kind());
            }
            AdminCommand::Check => {
                let checks = core.check_backends().await;
                for check in &checks {
                    let state = match &check.error {
                        None => "ok".to_string(),
                        Some(e) => format!("FAILING: {e}"),
                    };
                    println!(
                        "{:<9} {:<9} {:>7.1} ms  {state}",
                        check.name, check.backend, check.millis
                    );
                }
                if checks.iter().any(|c| !c.ok) {
                    bail!("some backends are not answering");
                }
            }
        }
        Ok(())
    }
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn print_users(users: &[User], json: bool) -> anyhow::Result<()> {
    if json {
        for user in users {
            println!("{}", serde_json::to_string(user)?);
        }
        return Ok(());
    }
    println!(
        "{:<10}  {:<32}  {:<24}  {:<20}  {:<8}  created",
        "id", "email", "name", "role", "verified"
    );
    for user in users {
        println!(
            "{:<10}  {:<32}  {:<24}  {:<20}  {:<8}  {}",
            user.id,
            user.email,
            user.name,
            user.role.as_str(),
            user.verified,
            user.created_at.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}

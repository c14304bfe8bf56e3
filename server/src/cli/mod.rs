//! The command line: `fleck serve | worker | migrate | admin | render …`, a module per command
//! (`serve` also runs `fleck worker`).

pub mod admin;
pub mod render;
pub mod serve;

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use self::admin::AdminCommand;
use self::render::RenderArgs;
use crate::config::ConfigArgs;

#[derive(Parser, Debug)]
#[command(
    name = "fleck",
    version,
    about = "Fleck: an open, Speckle-compatible data server for architecture, engineering and construction",
    long_about = "Fleck: an open, Speckle-compatible data server for architecture, engineering and construction.\n\n\
Options come from flags, then environment variables, then fleck.toml (or the file given by --config), then defaults.\n\
With no options Fleck runs on embedded backends under ./fleck-data: SQLite, a blob folder, an in-process cache and a mail outbox."
)]
pub struct Cli {
    /// Configuration file [default: ./fleck.toml when it exists]
    #[arg(long, env = "FLECK_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub args: ConfigArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the HTTP API and the web app, running the workers in the same process
    Serve {
        /// Run no workers in this process (when separate `fleck worker` processes do the work)
        #[arg(long, env = "FLECK_NO_WORKERS")]
        no_workers: bool,
    },
    /// Run workers only (previews, webhooks, imports, mail…), for scaling out
    Worker {
        /// Only these, comma-separated: previews, imports, webhooks, emails, monitor (the
        /// database monitor) or job kinds [default: all]
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Apply pending database migrations and exit
    Migrate,
    /// Manage users and check the configuration
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Draw a model to a PNG with the preview renderer (no server or database needed)
    Render(RenderArgs),
    /// Run one conversion or preview for a worker, over stdin and stdout (started by workers)
    #[command(hide = true)]
    Sandbox {
        #[arg(value_parser = clap::builder::PossibleValuesParser::new(fleck_workers::sandbox::child::TASKS))]
        task: String,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        // Drawing a file needs none of the server's configuration, nor a valid one.
        let command = match self.command {
            Command::Render(args) => return render::render(args).await,
            Command::Sandbox { task } => return sandbox(task).await,
            command => command,
        };
        let args = self.args.with_file(self.config.as_deref())?;
        crate::logging::init(&args.log_filter(), args.log_format.unwrap_or_default())?;
        let (config, options) = args.resolve()?;
        match command {
            Command::Serve { no_workers } => serve::serve(config, options, !no_workers).await,
            Command::Worker { only } => serve::work(config, options, only).await,
            Command::Migrate => {
                let database = fleck_core::db::connect(&config.database_url, 2).await?;
                database.store.migrate().await?;
                println!("database {} is up to date", database.store.kind());
                Ok(())
            }
            Command::Render(args) => render::render(args).await,
            Command::Sandbox { task } => sandbox(task).await,
            Command::Admin(command) => {
                let core = fleck_core::Core::connect(config)
                    .await
                    .context("cannot start")?;
                command.run(&core).await
            }
        }
    }
}

/// A worker's child: its limits came with its request, and its stdout carries the answer.
async fn sandbox(task: String) -> anyhow::Result<()> {
    tokio::task::spawn_blocking(move || fleck_workers::sandbox::child::run(&task))
        .await?
        .context("the sandboxed task failed")
}

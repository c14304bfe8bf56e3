use std::process::ExitCode;

use clap::Parser;
use fleck_server::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fleck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line that says what failed and where; no backtrace.
            eprintln!("fleck: {e:#}");
            ExitCode::FAILURE
        }
    }
}

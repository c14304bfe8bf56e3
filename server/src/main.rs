use std::process::ExitCode;

use clap::Parser;
use fleck_server::cli::Cli;

fn main() -> ExitCode {
    keep_freed_memory_returnable();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fleck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(cli.run());
    // A render or conversion still running on a blocking thread is abandoned, not waited for:
    // once the server has stopped, the process exits.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line that says what failed and where; no backtrace.
            eprintln!("fleck: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// glibc raises its mmap threshold each time a large block is freed, after which uploads' megabyte
/// buffers come from per-thread heaps that never shrink: the server would keep its largest
/// footprint for good. A fixed threshold and two arenas keep large buffers returnable.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory_returnable() {
    // SAFETY: mallopt only sets allocator parameters; called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory_returnable() {}

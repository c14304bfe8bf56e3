//! The child's side of the sandbox: `fleck sandbox <task>` reads one request from stdin,
//! answers on stdout and exits. It starts no runtime, reads no settings and opens no backend.

use std::io;

/// The tasks a child runs, by the name the worker gives on its command line.
pub const TASKS: [&str; 2] = ["convert", "preview"];

pub fn run(task: &str) -> io::Result<()> {
    let (input, output) = (io::stdin().lock(), io::stdout().lock());
    match task {
        "convert" => crate::import::sandboxed::serve(input, output),
        "preview" => crate::previews::serve(input, output),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "no sandbox task {other:?}; the tasks are {}",
                TASKS.join(", ")
            ),
        )),
    }
}

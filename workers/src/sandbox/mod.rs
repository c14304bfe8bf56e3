//! File conversion and preview rendering run in child processes: `fleck sandbox convert` and
//! `fleck sandbox preview`, the same binary re-executed, talking in [`frames`] over stdin and
//! stdout. Each child has limits on its address space and processor time and is killed at its
//! deadline, so a converter or GL driver that crashes, overflows its stack, runs out of memory
//! or hangs ends that child only: the job fails with the reason and the server keeps answering.
//!
//! The child starts with an empty environment (besides the GL driver's own variables), so it
//! never holds the server's database, storage or mail credentials.

pub mod child;
#[cfg(feature = "faults")]
pub(crate) mod faults;
pub mod frames;

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{ChildStdin, ChildStdout, Command};

/// Where converters and the renderer run.
#[derive(Clone, Debug, Default)]
pub enum Isolation {
    /// On a blocking thread of this process: for tests and embedders with no `fleck` binary.
    #[default]
    InProcess,
    /// In a child process of `program` under `limits`.
    Child(Arc<ChildLimits>),
}

#[derive(Clone, Debug)]
pub struct ChildLimits {
    /// The `fleck` binary, re-executed as `fleck sandbox <task>`.
    pub program: PathBuf,
    /// Bytes of address space a child may map.
    pub memory: u64,
    /// Processor time a child may use, all its threads together.
    pub cpu: Duration,
}

/// 4 GiB of address space: a 100,000-mesh model's preview fits, an unbounded allocation does not
/// reach the machine's memory.
pub const DEFAULT_MEMORY: u64 = 4 * 1024 * 1024 * 1024;
/// Processor time, enough for the longest conversion a default import timeout allows.
pub const DEFAULT_CPU: Duration = Duration::from_secs(600);

/// The deadline of a child whose task has `limit` of its own: a tenth more, at least 5 s, to
/// start (a GL driver loads in seconds on a busy machine) and to send its answer.
pub fn deadline_for(limit: Duration) -> Duration {
    limit + (limit / 10).max(Duration::from_secs(5))
}

/// How a child ended without an answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// Still running at its deadline; killed.
    TimedOut,
    /// Used up its processor time.
    CpuTime,
    /// An allocation failed at its address-space limit.
    OutOfMemory,
    /// Recursed past its stack.
    StackOverflow,
    /// Anything else: a panic, a signal, a malformed answer; what it said is in the log.
    Crashed,
}

/// Environment variables a child keeps: how Mesa and EGL find and choose a driver.
const GL_VARIABLES: [&str; 6] = [
    "EGL_",
    "MESA_",
    "LIBGL_",
    "GALLIUM_",
    "LP_",
    "LD_LIBRARY_PATH",
];

/// How much lower a child's scheduling priority is than the server's.
const NICENESS: libc::c_int = 10;

/// What a child wrote to stderr that is kept for the log: its last few kilobytes.
const STDERR_KEPT: usize = 8 * 1024;

impl ChildLimits {
    fn command(&self, task: &str) -> Command {
        let mut command = Command::new(&self.program);
        command
            .args(["sandbox", task])
            .env_clear()
            .envs(std::env::vars_os().filter(|(name, _)| {
                let name = name.to_string_lossy();
                GL_VARIABLES.iter().any(|kept| name.starts_with(kept))
            }))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let (memory, cpu) = (self.memory, self.cpu.as_secs().max(1));
        // SAFETY: runs in the forked child before exec and calls only setrlimit and
        // setpriority, which are async-signal-safe; it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(move || {
                // Conversions and renders yield the processor to the server's requests.
                if libc::setpriority(libc::PRIO_PROCESS, 0, NICENESS) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                limit(libc::RLIMIT_AS, memory, memory)?;
                // SIGXCPU at the soft limit ends it; SIGKILL at the hard one if it is ignored.
                limit(libc::RLIMIT_CPU, cpu, cpu + 5)?;
                limit(libc::RLIMIT_CORE, 0, 0)
            });
        }
        command
    }

    /// Runs `talk` with a new child of `task` (it writes the request to the child's stdin and
    /// reads the answer from its stdout) until `deadline`. An answer read whole is taken, and
    /// the child reaped; without one, how the child ended says why.
    pub async fn exchange<T, F>(
        &self,
        task: &str,
        deadline: Duration,
        talk: impl FnOnce(ChildStdin, ChildStdout) -> F,
    ) -> Result<T, Ended>
    where
        F: std::future::Future<Output = std::io::Result<T>>,
    {
        let mut child = self.command(task).spawn().map_err(|error| {
            tracing::error!(%error, program = %self.program.display(), "cannot start a sandboxed {task}");
            Ended::Crashed
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(Ended::Crashed);
        };
        let said = tokio::spawn(last_words(stderr));
        let answer = match tokio::time::timeout(deadline, talk(stdin, stdout)).await {
            Ok(answer) => answer,
            Err(_) => {
                let _ = child.kill().await;
                tracing::warn!(
                    task,
                    seconds = deadline.as_secs(),
                    "a sandboxed {task} was killed at its deadline"
                );
                return Err(Ended::TimedOut);
            }
        };
        // Its stdin is closed now: a child that answered exits at once, one cut short by a
        // refusal on this side reads the end of its input and stops.
        let status = match tokio::time::timeout(REAP_WAIT, child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                let _ = child.kill().await;
                None
            }
        };
        let said = said.await.unwrap_or_default();
        match answer {
            Ok(answer) => Ok(answer),
            Err(problem) => {
                let ended = status
                    .map(|status| classify(status, &said))
                    .unwrap_or(Ended::Crashed);
                tracing::warn!(task, ?ended, ?status, %problem, stderr = %said.trim_end(), "a sandboxed {task} ended without an answer");
                Err(ended)
            }
        }
    }
}

/// How long a child that has answered, or lost its input, may take to exit before it is killed.
const REAP_WAIT: Duration = Duration::from_secs(5);

/// The end of what a child writes to stderr: its panic message or allocator's complaint.
async fn last_words(mut stderr: tokio::process::ChildStderr) -> String {
    let mut text = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(read) = stderr.read(&mut buffer).await {
        if read == 0 {
            break;
        }
        text.extend_from_slice(&buffer[..read]);
        if text.len() > 2 * STDERR_KEPT {
            text.drain(..text.len() - STDERR_KEPT);
        }
    }
    String::from_utf8_lossy(&text).into_owned()
}

fn limit(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit reads the struct passed by reference and nothing else.
    if unsafe { libc::setrlimit(resource, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Why a child that gave no answer ended, from its exit status and the end of its stderr.
fn classify(status: ExitStatus, said: &str) -> Ended {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(libc::SIGXCPU) => Ended::CpuTime,
        _ if said.contains("memory allocation of") => Ended::OutOfMemory,
        _ if said.contains("has overflowed its stack") => Ended::StackOverflow,
        _ => Ended::Crashed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn a_childs_end_is_told_by_its_signal_and_last_words() {
        let signalled = |signal| ExitStatus::from_raw(signal);
        assert_eq!(classify(signalled(libc::SIGXCPU), ""), Ended::CpuTime);
        assert_eq!(
            classify(
                signalled(libc::SIGABRT),
                "memory allocation of 67108864 bytes failed\n"
            ),
            Ended::OutOfMemory
        );
        assert_eq!(
            classify(
                signalled(libc::SIGABRT),
                "thread 'main' has overflowed its stack\nfatal runtime error: stack overflow"
            ),
            Ended::StackOverflow
        );
        assert_eq!(classify(signalled(libc::SIGSEGV), ""), Ended::Crashed);
        assert_eq!(
            classify(ExitStatus::from_raw(1 << 8), "panicked at"),
            Ended::Crashed
        );
    }
}

//! The one error type of the core layer. Transports map it to HTTP statuses and GraphQL codes once.

use std::time::Duration;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A boxed source error from a backend library.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} not found")]
    NotFound(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("rate limited, retry after {} s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    /// A backend (database, blob store, cache, mail server) failed; `what` says which and doing what.
    /// The message carries the cause's whole chain, so it is not exposed as `source()`
    /// (which would print every cause twice).
    #[error("{what}: {}", causes(cause.as_ref()))]
    Backend { what: String, cause: BoxError },
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn backend(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Error::Backend {
            what: what.into(),
            cause: source.into(),
        }
    }
}

/// An error and its causes on one line, skipping causes whose text the previous one already says.
fn causes(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let said = next.to_string();
        if !text.contains(&said) {
            text = format!("{text}: {said}");
        }
        cause = next.source();
    }
    text
}

/// Adds "what we were doing" to a backend library's error.
pub trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<BoxError>> Context<T> for std::result::Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::backend(what(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_errors_say_each_cause_once() {
        let io = std::io::Error::other("connection refused");
        let err = Error::backend("cannot reach Redis at redis://h:1", io);
        assert_eq!(
            err.to_string(),
            "cannot reach Redis at redis://h:1: connection refused"
        );
        assert!(std::error::Error::source(&err).is_none());
    }
}

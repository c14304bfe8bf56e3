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
    /// `unreachable`: the backend could not be reached (refused, reset, timed out, its pool
    /// exhausted), rather than refusing what was asked; transports answer 503 then.
    #[error("{what}: {}", causes(cause.as_ref()))]
    Backend {
        what: String,
        cause: BoxError,
        unreachable: bool,
    },
}

impl Error {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub fn backend(what: impl Into<String>, source: impl Into<BoxError>) -> Self {
        let cause = source.into();
        Error::Backend {
            what: what.into(),
            unreachable: unreachable(cause.as_ref()),
            cause,
        }
    }

    /// Whether a backend could not be reached: worth trying again shortly (HTTP 503).
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Error::Backend {
                unreachable: true,
                ..
            }
        )
    }
}

/// A conversion that cannot fail (a domain type `From` a row) goes where one that can does.
impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

/// Whether an error, or one of its causes, says a backend could not be reached.
fn unreachable(error: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind as Kind;
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                Kind::ConnectionRefused
                    | Kind::ConnectionReset
                    | Kind::ConnectionAborted
                    | Kind::NotConnected
                    | Kind::BrokenPipe
                    | Kind::TimedOut
                    | Kind::HostUnreachable
                    | Kind::NetworkUnreachable
            ) {
                return true;
            }
        }
        if let Some(sql) = e.downcast_ref::<sqlx::Error>() {
            if matches!(
                sql,
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
            ) {
                return true;
            }
        }
        if let Some(redis) = e.downcast_ref::<redis::RedisError>() {
            if redis.is_connection_refusal() || redis.is_timeout() || redis.is_connection_dropped()
            {
                return true;
            }
        }
        next = e.source();
    }
    false
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

    #[test]
    fn only_unreachable_backends_are_unavailable() {
        let timed_out = Error::backend("reading a project", sqlx::Error::PoolTimedOut);
        assert!(timed_out.is_unavailable());
        let broken = Error::backend("reading a project", sqlx::Error::RowNotFound);
        assert!(!broken.is_unavailable());
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let wrapped = Error::backend("storing a blob", Box::new(Wrapper(refused)) as BoxError);
        assert!(wrapped.is_unavailable(), "causes count too");
        assert!(!Error::NotFound("x".into()).is_unavailable());
    }

    /// An error whose cause is another, as client libraries wrap transport errors.
    #[derive(Debug)]
    struct Wrapper(std::io::Error);

    impl std::fmt::Display for Wrapper {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("dispatch failure")
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }
}

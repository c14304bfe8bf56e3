//! GraphQL errors carry `extensions.code`, as Speckle's clients expect.

use async_graphql::{Error, ErrorExtensions};

pub fn code(message: impl Into<String>, code: &'static str) -> Error {
    Error::new(message.into()).extend_with(|_, e| e.set("code", code))
}

pub fn forbidden(message: impl Into<String>) -> Error {
    code(message, "FORBIDDEN")
}

pub fn unauthenticated() -> Error {
    code("You must be logged in to do this.", "UNAUTHENTICATED")
}

/// Maps `fleck_core::Error` once for every resolver.
pub fn from_core(error: fleck_core::Error) -> Error {
    use fleck_core::Error as E;
    match error {
        E::NotFound(what) => code(format!("{what} not found"), "NOT_FOUND_ERROR"),
        E::Forbidden(message) => forbidden(message),
        e @ E::Invalid { .. } => code(e.to_string(), "BAD_USER_INPUT"),
        E::Conflict(message) => code(message, "CONFLICT"),
        E::RateLimited { .. } => code(
            "You have sent too many requests. You are being rate limited. Please try again later.",
            "RATE_LIMIT_ERROR",
        ),
        e @ E::Backend { .. } if e.is_unavailable() => {
            tracing::error!(error = %e, "GraphQL request failed: a backend is unreachable");
            code(crate::error::UNAVAILABLE, "SERVICE_UNAVAILABLE")
        }
        e @ E::Backend { .. } => {
            tracing::error!(error = %e, "GraphQL request failed");
            code(
                "Internal server error; the details are in the server's log.",
                "INTERNAL_SERVER_ERROR",
            )
        }
    }
}

//! The `fleck` binary's library: HTTP transport (REST, operations endpoints, web app rendering)
//! and the commands of the CLI. Business rules live in `fleck_core`.

pub mod auth;
pub mod cli;
pub mod config;
pub mod error;
pub mod graphql;
pub mod headers;
pub mod logging;
pub mod metrics;
pub mod ops;
pub mod ratelimit;
pub mod rest;
pub mod router;
pub mod ssr;
pub mod state;

pub use router::router;
pub use state::AppState;

//! Fleck's core: the domain, its rules and services, and the backend traits with an embedded and
//! a production implementation each. Everything else (server, workers, web app) goes through here.

pub mod auth;
pub mod authz;
pub mod blobs;
pub mod bundle;
pub mod cache;
pub mod changes;
pub mod comments;
pub mod config;
pub mod core;
pub mod db;
pub mod error;
pub mod ids;
pub mod ingestions;
pub mod mail;
pub mod monitor;
pub mod net;
pub mod numbered;
pub mod objects;
pub mod operator;
pub mod previews;
pub mod projects;
pub mod queue;
pub mod ratelimit;
pub mod settings;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod users;
pub mod webhooks;

pub use crate::core::{BackendCheck, Core};
pub use config::Config;
pub use error::{Error, Result};

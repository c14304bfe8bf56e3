//! server's integration tests, one binary (linking the workspace once): a module per area,
//! the shared fixtures in `support`.

mod admin;
mod auth;
mod cli;
mod comments;
mod emails;
mod ingestion;
mod invites;
mod ops;
mod presigned;
mod project_access;
mod ratelimit;
mod sandbox;
mod security;
mod security_idlists;
mod security_web;
mod security_websocket;
mod support;
mod version_changes;
mod webhooks;
mod worker_crash;

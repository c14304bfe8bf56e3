//! server's integration tests, one binary (linking the workspace once): a module per area,
//! the shared fixtures in `support`.

mod admin;
mod auth;
mod cli;
mod comments;
mod config;
mod emails;
mod ingestion;
mod invites;
mod object_bodies;
mod object_idlists;
mod object_json;
mod ops;
mod page_headers;
mod presigned;
mod project_access;
mod ratelimit;
mod request_origin;
mod sandbox;
mod security;
mod security_idlists;
mod security_web;
mod security_websocket;
mod support;
mod version_changes;
mod webhooks;
mod worker_crash;

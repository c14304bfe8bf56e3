//! workers's integration tests, one binary (linking the workspace once): a module per area,
//! the shared fixtures in `support`.

mod imports;
mod monitor;
mod previews;
mod runtime;
mod support;
mod webhooks;

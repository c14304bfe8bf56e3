//! core's integration tests, one binary (linking the workspace once): a module per area,
//! the shared fixtures in `support`.

mod auth_contract;
mod auth_flow;
mod blobs_contract;
mod cache_contract;
mod changes_contract;
mod changes_scale;
mod comments_contract;
mod mailer_contract;
mod monitor;
mod objects_contract;
mod permission_matrix;
mod previews_contract;
mod projects_contract;
mod queue_contract;
mod store_contract;
mod support;

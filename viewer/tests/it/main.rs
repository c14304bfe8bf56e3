//! viewer's integration tests, one binary (linking the workspace once): a module per area,
//! the shared fixtures in `common`.

mod common;
mod headless;
mod instances;
mod robustness;
mod scene;

//! REST endpoints, one module per resource.

pub mod auth;
pub mod input;
pub mod objects;
pub mod storage;

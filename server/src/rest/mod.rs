//! REST endpoints, one module per resource.

pub mod storage;

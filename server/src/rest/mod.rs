//! REST endpoints, one module per resource.

pub mod attachments;
pub mod auth;
pub mod ingestions;
pub mod input;
pub mod objects;
pub mod previews;
pub mod storage;

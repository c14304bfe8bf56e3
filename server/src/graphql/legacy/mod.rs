//! The stream / branch / commit API older connectors still use (graphql.md §4), as thin wrappers
//! over the modern API: a stream is a project's `Access`, a branch a model and a commit a version
//! reached through it, and every mutation calls the service its modern twin calls. The legacy
//! subscriptions sit beside them.

mod mutations;
mod queries;
mod subscriptions;
pub(super) mod types;

pub use mutations::LegacyMutation;
pub use queries::LegacyQuery;
pub use subscriptions::LegacySubscription;

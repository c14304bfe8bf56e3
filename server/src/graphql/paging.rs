//! Speckle's `(limit, cursor)` pagination. Cursors are opaque to clients; here they are offsets.

use async_graphql::{OutputType, Result, SimpleObject};
use fleck_core::projects::{Listed, Window};

use super::errors::code;

/// The window a `(limit, cursor)` pair asks for; `limit` defaults to `default`, at most `max`.
pub fn page(limit: Option<i32>, cursor: Option<&str>, default: i64, max: i64) -> Result<Window> {
    let limit = limit.map(i64::from).unwrap_or(default);
    if limit < 0 {
        return Err(code("limit must not be negative", "BAD_USER_INPUT"));
    }
    let offset = match cursor.filter(|c| !c.is_empty()) {
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|o| *o >= 0)
            .ok_or_else(|| code("invalid cursor", "BAD_USER_INPUT"))?,
        None => 0,
    };
    Ok(Window {
        offset,
        limit: limit.min(max),
    })
}

/// Where the next page starts; `None` after the last one.
pub struct Page {
    pub cursor: Option<String>,
}

impl Page {
    pub fn after(window: Window, returned: usize, total: i64) -> Self {
        let next = window.offset + returned as i64;
        Page {
            cursor: (returned > 0 && next < total).then(|| next.to_string()),
        }
    }
}

// A page of a list: the shape most of Speckle's `…Collection` types share, each under its own
// name. A plain comment: a doc comment would become each type's description in the schema.
#[derive(SimpleObject)]
#[graphql(
    concrete(name = "UserProjectCollection", params(super::projects::Project)),
    concrete(name = "ModelCollection", params(super::models::Model)),
    concrete(name = "VersionCollection", params(super::versions::Version)),
    concrete(name = "CommentCollection", params(super::comments::Comment)),
    concrete(name = "FileUploadCollection", params(super::imports::FileUpload)),
    concrete(
        name = "ElementChangeCollection",
        params(super::changes::ElementChangeItem)
    ),
    concrete(name = "WorkspaceCollection", params(super::workspaces::Workspace)),
    concrete(name = "UserStreamCollection", params(super::legacy::types::Stream)),
    concrete(name = "BranchCollection", params(super::legacy::types::Branch)),
    concrete(name = "CommitCollection", params(super::legacy::types::Commit))
)]
pub struct Collection<T: OutputType> {
    pub total_count: i64,
    pub cursor: Option<String>,
    pub items: Vec<T>,
}

impl<T: OutputType> Collection<T> {
    /// The page `window` asked for, of a list `total` items long.
    pub fn page(window: Window, total: i64, items: Vec<T>) -> Self {
        let Page { cursor } = Page::after(window, items.len(), total);
        Collection {
            total_count: total,
            cursor,
            items,
        }
    }

    /// `listed`'s page, each item made a `T` by `item`.
    pub fn of<D>(window: Window, listed: Listed<D>, item: impl FnMut(D) -> T) -> Self {
        Self::page(
            window,
            listed.total,
            listed.items.into_iter().map(item).collect(),
        )
    }
}

/// What a list field costs in the query's complexity: its page size (`limit`, else `default`,
/// at most `max`) times what each item's selection costs, so that aliases of large pages cannot
/// add up to an expensive query that counts as a few fields.
pub fn cost(limit: Option<i32>, default: i32, max: i32, child_complexity: usize) -> usize {
    let items = limit.unwrap_or(default).clamp(1, max) as usize;
    items.saturating_mul(child_complexity).saturating_add(1)
}

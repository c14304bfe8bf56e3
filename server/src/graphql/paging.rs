//! Speckle's `(limit, cursor)` pagination. Cursors are opaque to clients; here they are offsets.

use async_graphql::Result;
use fleck_core::projects::Window;

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

/// What a list field costs in the query's complexity: its page size (`limit`, else `default`,
/// at most `max`) times what each item's selection costs, so that aliases of large pages cannot
/// add up to an expensive query that counts as a few fields.
pub fn cost(limit: Option<i32>, default: i32, max: i32, child_complexity: usize) -> usize {
    let items = limit.unwrap_or(default).clamp(1, max) as usize;
    items.saturating_mul(child_complexity).saturating_add(1)
}

//! The `CommentStore`, written once: the SQL is the same on both databases, so each backend
//! expands `comment_store!` with its pool and its `Dialect`'s database and time type. Lists are
//! built with a `QueryBuilder`, as the resources a thread list is restricted to vary in number.

use crate::comments::{Archived, Comment, Link, ResourceKind, RichText, Targets};
use crate::db::dialect::StoredTime;

/// A comment's columns, then the reader's last view and the count of live replies; `$viewer`
/// is bound where the builder puts it.
pub const SELECT_COMMENT: &str =
    "SELECT c.id, c.project_id, c.author_id, c.parent_id, c.text, c.raw_text,
        c.screenshot, c.viewer_state, c.data, c.archived, c.created_at, c.updated_at,
        cv.viewed_at,
        (SELECT COUNT(*) FROM comments r WHERE r.parent_id = c.id AND NOT r.archived) AS reply_count
     FROM comments c LEFT JOIN comment_views cv ON cv.comment_id = c.id AND cv.user_id = ";

pub const INSERT_COMMENT: &str = "INSERT INTO comments
     (id, project_id, author_id, parent_id, text, raw_text, screenshot, viewer_state, data,
      archived, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

pub const INSERT_LINK: &str =
    "INSERT INTO comment_links (comment_id, resource_type, resource_id) VALUES ($1, $2, $3)
     ON CONFLICT DO NOTHING";

/// A reply is the thread's latest activity.
pub const TOUCH_THREAD: &str =
    "UPDATE comments SET updated_at = $3 WHERE project_id = $1 AND id = $2 AND parent_id IS NULL";

pub const UPDATE_TEXT: &str = "UPDATE comments SET text = $3, raw_text = $4, updated_at = $5
     WHERE project_id = $1 AND id = $2";

pub const SET_ARCHIVED: &str =
    "UPDATE comments SET archived = $3 WHERE project_id = $1 AND id = $2";

pub const MARK_VIEWED: &str = "INSERT INTO comment_views (comment_id, user_id, viewed_at)
     VALUES ($1, $2, $3)
     ON CONFLICT (comment_id, user_id) DO UPDATE SET viewed_at = excluded.viewed_at";

/// Distinct repliers in the order of their first reply, and how many there are.
pub const REPLY_AUTHORS: &str =
    "SELECT author_id FROM comments WHERE parent_id = $1 AND NOT archived
     GROUP BY author_id ORDER BY MIN(created_at), author_id LIMIT $2";
pub const COUNT_REPLY_AUTHORS: &str =
    "SELECT COUNT(DISTINCT author_id) FROM comments WHERE parent_id = $1 AND NOT archived";

pub const PREFERENCES: &str =
    "SELECT preferences FROM user_notification_preferences WHERE user_id = $1";
pub const SET_PREFERENCES: &str =
    "INSERT INTO user_notification_preferences (user_id, preferences) VALUES ($1, $2)
     ON CONFLICT (user_id) DO UPDATE SET preferences = excluded.preferences";

/// The condition on `c.archived` a list asks for.
pub fn archived_condition(archived: Archived) -> &'static str {
    match archived {
        Archived::Exclude => "NOT c.archived",
        Archived::Include => "1 = 1",
        Archived::Only => "c.archived",
    }
}

/// The conditions a thread restriction is made of, each opened before its list of ids and
/// closed after it, so both backends build the same SQL.
pub fn target_lists(targets: &Targets) -> [(&'static str, &[String], &'static str); 3] {
    [
        // Versions named themselves.
        (
            "l.resource_type = 'commit' AND l.resource_id IN (",
            &targets.versions,
            ")",
        ),
        // Any version of the models.
        (
            "l.resource_type = 'commit' AND l.resource_id IN
                 (SELECT ve.id FROM versions ve WHERE ve.project_id = c.project_id AND ve.model_id IN (",
            &targets.models,
            "))",
        ),
        (
            "l.resource_type = 'object' AND l.resource_id IN (",
            &targets.objects,
            ")",
        ),
    ]
}

#[derive(sqlx::FromRow)]
pub struct CommentRow<T> {
    id: String,
    project_id: String,
    author_id: String,
    parent_id: Option<String>,
    text: String,
    raw_text: String,
    screenshot: Option<String>,
    viewer_state: Option<String>,
    data: Option<String>,
    archived: bool,
    created_at: T,
    updated_at: T,
    viewed_at: Option<T>,
    reply_count: i64,
}

impl<T: StoredTime> From<CommentRow<T>> for Comment {
    fn from(r: CommentRow<T>) -> Self {
        let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        Comment {
            // Only the comment service writes the column, from a `RichText`.
            text: serde_json::from_str::<RichText>(&r.text).unwrap_or_default(),
            viewer_state: json(r.viewer_state),
            data: json(r.data),
            id: r.id,
            project_id: r.project_id,
            author_id: r.author_id,
            parent_id: r.parent_id,
            raw_text: r.raw_text,
            screenshot: r.screenshot,
            archived: r.archived,
            links: Vec::new(),
            created_at: r.created_at.into_utc(),
            updated_at: r.updated_at.into_utc(),
            viewed_at: r.viewed_at.map(StoredTime::into_utc),
            reply_count: r.reply_count,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct LinkRow {
    comment_id: String,
    resource_type: String,
    resource_id: String,
}

/// Hands each comment its links.
pub fn attach_links(comments: &mut [Comment], rows: Vec<LinkRow>) {
    for row in rows {
        let Some(kind) = ResourceKind::parse(&row.resource_type) else {
            continue;
        };
        if let Some(comment) = comments.iter_mut().find(|c| c.id == row.comment_id) {
            comment.links.push(Link {
                kind,
                id: row.resource_id,
            });
        }
    }
    for comment in comments {
        comment
            .links
            .sort_by(|a, b| (a.kind.as_str(), &a.id).cmp(&(b.kind.as_str(), &b.id)));
    }
}

pub fn to_json(value: &Option<serde_json::Value>) -> Option<String> {
    value.as_ref().map(|v| v.to_string())
}

pub fn text_to_db(text: &RichText) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "{}".into())
}

/// `impl CommentStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! comment_store {
    ($db:ty) => {
        const _: () = {
            use $crate::db::dialect::Dialect;
            use $crate::db::query::{Fetch, Write};

            type Time = <$db as Dialect>::Time;
            type Db = <$db as Dialect>::Db;

            /// Ends a listing with the window's `LIMIT` and `OFFSET`.
            fn push_window(query: &mut sqlx::QueryBuilder<Db>, window: $crate::projects::Window) {
                query.push(" LIMIT ");
                query.push_bind(window.limit);
                query.push(" OFFSET ");
                query.push_bind(window.offset);
            }

            /// Restricts `c` (a thread) to the project and, when given, to threads about `targets`.
            fn push_thread_scope(
                query: &mut sqlx::QueryBuilder<Db>,
                project_id: &str,
                targets: Option<&$crate::comments::Targets>,
            ) {
                query.push(" WHERE c.project_id = ");
                query.push_bind(project_id.to_string());
                query.push(" AND c.parent_id IS NULL");
                let Some(targets) = targets else { return };
                if targets.is_empty() {
                    query.push(" AND 1 = 0");
                    return;
                }
                query.push(" AND EXISTS (SELECT 1 FROM comment_links l WHERE l.comment_id = c.id AND (1 = 0");
                if targets.project {
                    query.push(" OR l.resource_type = 'stream'");
                }
                for (open, ids, close) in $crate::db::comments::target_lists(targets) {
                    if ids.is_empty() {
                        continue;
                    }
                    query.push(" OR (");
                    query.push(open);
                    let mut list = query.separated(", ");
                    for id in ids {
                        list.push_bind(id.clone());
                    }
                    query.push(close);
                    query.push(")");
                }
                query.push("))");
            }

            impl $db {
                /// The comments `SELECT_COMMENT` reads for `viewer`, the rest of the statement
                /// (its conditions, order and window) pushed by `rest`.
                async fn select_comments(
                    &self,
                    viewer: Option<&str>,
                    rest: impl FnOnce(&mut sqlx::QueryBuilder<Db>),
                    what: &str,
                ) -> $crate::error::Result<Vec<$crate::comments::Comment>> {
                    let mut query =
                        sqlx::QueryBuilder::<Db>::new($crate::db::comments::SELECT_COMMENT);
                    query.push_bind(viewer.map(str::to_string));
                    rest(&mut query);
                    query
                        .build_query_as::<$crate::db::comments::CommentRow<Time>>()
                        .all(&self.pool, what)
                        .await
                }

                async fn comment_links(
                    &self,
                    comments: &mut [$crate::comments::Comment],
                ) -> $crate::error::Result<()> {
                    use $crate::error::Context;
                    if comments.is_empty() {
                        return Ok(());
                    }
                    let mut query = sqlx::QueryBuilder::<Db>::new(
                        "SELECT comment_id, resource_type, resource_id FROM comment_links WHERE comment_id IN (",
                    );
                    let mut list = query.separated(", ");
                    for comment in comments.iter() {
                        list.push_bind(comment.id.clone());
                    }
                    query.push(")");
                    let rows: Vec<$crate::db::comments::LinkRow> = query
                        .build_query_as()
                        .fetch_all(&self.pool)
                        .await
                        .context(|| "reading what comments are about".into())?;
                    $crate::db::comments::attach_links(comments, rows);
                    Ok(())
                }
            }

            #[async_trait::async_trait]
            impl $crate::comments::CommentStore for $db {
                async fn insert_comment(
                    &self,
                    c: &$crate::comments::Comment,
                ) -> $crate::error::Result<()> {
                    use $crate::error::Context;
                    let what = || "storing a comment".to_string();
                    let mut tx = self.pool.begin().await.context(what)?;
                    sqlx::query($crate::db::comments::INSERT_COMMENT)
                        .bind(&c.id)
                        .bind(&c.project_id)
                        .bind(&c.author_id)
                        .bind(&c.parent_id)
                        .bind($crate::db::comments::text_to_db(&c.text))
                        .bind(&c.raw_text)
                        .bind(&c.screenshot)
                        .bind($crate::db::comments::to_json(&c.viewer_state))
                        .bind($crate::db::comments::to_json(&c.data))
                        .bind(c.archived)
                        .bind(<$db as Dialect>::time(c.created_at))
                        .bind(<$db as Dialect>::time(c.updated_at))
                        .execute(&mut *tx)
                        .await
                        .context(what)?;
                    for link in &c.links {
                        sqlx::query($crate::db::comments::INSERT_LINK)
                            .bind(&c.id)
                            .bind(link.kind.as_str())
                            .bind(&link.id)
                            .execute(&mut *tx)
                            .await
                            .context(what)?;
                    }
                    if let Some(thread) = &c.parent_id {
                        sqlx::query($crate::db::comments::TOUCH_THREAD)
                            .bind(&c.project_id)
                            .bind(thread)
                            .bind(<$db as Dialect>::time(c.created_at))
                            .execute(&mut *tx)
                            .await
                            .context(what)?;
                    }
                    tx.commit().await.context(what)
                }

                async fn comment(
                    &self,
                    project_id: &str,
                    id: &str,
                    viewer: Option<&str>,
                ) -> $crate::error::Result<Option<$crate::comments::Comment>> {
                    let by_id = |query: &mut sqlx::QueryBuilder<Db>| {
                        query.push(" WHERE c.project_id = ");
                        query.push_bind(project_id.to_string());
                        query.push(" AND c.id = ");
                        query.push_bind(id.to_string());
                    };
                    let mut comments = self
                        .select_comments(viewer, by_id, "reading a comment")
                        .await?;
                    self.comment_links(&mut comments).await?;
                    Ok(comments.pop())
                }

                async fn threads(
                    &self,
                    project_id: &str,
                    filter: &$crate::comments::ThreadFilter,
                    viewer: Option<&str>,
                    window: $crate::projects::Window,
                ) -> $crate::error::Result<$crate::comments::ThreadPage> {
                    use $crate::error::Context;
                    let archived = $crate::db::comments::archived_condition(filter.archived);
                    let in_scope = |query: &mut sqlx::QueryBuilder<Db>| {
                        push_thread_scope(query, project_id, filter.about.as_ref());
                        query.push(" AND ");
                        query.push(archived);
                        query.push(" ORDER BY c.updated_at DESC, c.id DESC");
                        push_window(query, window);
                    };
                    let mut items = self
                        .select_comments(viewer, in_scope, "listing comment threads")
                        .await?;
                    self.comment_links(&mut items).await?;

                    let mut count = sqlx::QueryBuilder::<Db>::new(format!(
                        "SELECT COALESCE(SUM(CASE WHEN {archived} THEN 1 ELSE 0 END), 0),
                                COALESCE(SUM(CASE WHEN c.archived THEN 1 ELSE 0 END), 0)
                         FROM comments c"
                    ));
                    push_thread_scope(&mut count, project_id, filter.about.as_ref());
                    let (total, total_archived): (i64, i64) = count
                        .build_query_as()
                        .fetch_one(&self.pool)
                        .await
                        .context(|| "counting comment threads".into())?;
                    Ok($crate::comments::ThreadPage {
                        items,
                        total,
                        total_archived,
                    })
                }

                async fn replies(
                    &self,
                    project_id: &str,
                    thread_id: &str,
                    viewer: Option<&str>,
                    window: $crate::projects::Window,
                ) -> $crate::error::Result<$crate::projects::Listed<$crate::comments::Comment>>
                {
                    use $crate::error::Context;
                    let in_thread = |query: &mut sqlx::QueryBuilder<Db>| {
                        query.push(" WHERE c.project_id = ");
                        query.push_bind(project_id.to_string());
                        query.push(" AND c.parent_id = ");
                        query.push_bind(thread_id.to_string());
                        query.push(" AND NOT c.archived ORDER BY c.created_at, c.id");
                        push_window(query, window);
                    };
                    let items = self
                        .select_comments(viewer, in_thread, "listing replies")
                        .await?;
                    let total: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM comments
                         WHERE project_id = $1 AND parent_id = $2 AND NOT archived",
                    )
                    .bind(project_id)
                    .bind(thread_id)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting replies".into())?;
                    Ok($crate::projects::Listed { items, total })
                }

                async fn reply_authors(
                    &self,
                    thread_id: &str,
                    limit: i64,
                ) -> $crate::error::Result<$crate::projects::Listed<String>> {
                    use $crate::error::Context;
                    let items: Vec<String> =
                        sqlx::query_scalar($crate::db::comments::REPLY_AUTHORS)
                            .bind(thread_id)
                            .bind(limit)
                            .fetch_all(&self.pool)
                            .await
                            .context(|| "listing a thread's repliers".into())?;
                    let total: i64 = sqlx::query_scalar($crate::db::comments::COUNT_REPLY_AUTHORS)
                        .bind(thread_id)
                        .fetch_one(&self.pool)
                        .await
                        .context(|| "counting a thread's repliers".into())?;
                    Ok($crate::projects::Listed { items, total })
                }

                async fn update_comment_text(
                    &self,
                    project_id: &str,
                    id: &str,
                    text: &$crate::comments::RichText,
                    raw_text: &str,
                    at: chrono::DateTime<chrono::Utc>,
                ) -> $crate::error::Result<bool> {
                    let done = sqlx::query($crate::db::comments::UPDATE_TEXT)
                        .bind(project_id)
                        .bind(id)
                        .bind($crate::db::comments::text_to_db(text))
                        .bind(raw_text)
                        .bind(<$db as Dialect>::time(at))
                        .write(&self.pool, "editing a comment")
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_comment_archived(
                    &self,
                    project_id: &str,
                    id: &str,
                    archived: bool,
                ) -> $crate::error::Result<bool> {
                    let done = sqlx::query($crate::db::comments::SET_ARCHIVED)
                        .bind(project_id)
                        .bind(id)
                        .bind(archived)
                        .write(&self.pool, "archiving a comment")
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn mark_comment_viewed(
                    &self,
                    comment_id: &str,
                    user_id: &str,
                    at: chrono::DateTime<chrono::Utc>,
                ) -> $crate::error::Result<()> {
                    sqlx::query($crate::db::comments::MARK_VIEWED)
                        .bind(comment_id)
                        .bind(user_id)
                        .bind(<$db as Dialect>::time(at))
                        .write(&self.pool, "marking a comment viewed")
                        .await?;
                    Ok(())
                }

                async fn notification_preferences(
                    &self,
                    user_id: &str,
                ) -> $crate::error::Result<Option<serde_json::Value>> {
                    use $crate::error::Context;
                    let stored: Option<String> =
                        sqlx::query_scalar($crate::db::comments::PREFERENCES)
                            .bind(user_id)
                            .fetch_optional(&self.pool)
                            .await
                            .context(|| "reading notification preferences".into())?;
                    Ok(stored.and_then(|s| serde_json::from_str(&s).ok()))
                }

                async fn set_notification_preferences(
                    &self,
                    user_id: &str,
                    preferences: &serde_json::Value,
                ) -> $crate::error::Result<()> {
                    sqlx::query($crate::db::comments::SET_PREFERENCES)
                        .bind(user_id)
                        .bind(preferences.to_string())
                        .write(&self.pool, "saving notification preferences")
                        .await?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use comment_store;

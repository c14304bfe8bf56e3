//! The `ChangeStore`, written once: the SQL is the same on both databases, so each backend
//! expands `change_store!` with its pool and its `Dialect`'s database and time type.

use crate::changes::{ChangeCounts, ChangeKind, ChangeSet, ElementChange, PropertyChange};
use crate::db::dialect::StoredTime;

/// Listed elements are inserted this many rows to a statement (15 parameters each keeps a
/// statement under SQLite's 32,766 parameters).
pub const ROWS_PER_INSERT: usize = 500;

pub const SELECT_SET: &str =
    "SELECT project_id, from_version_id, to_version_id, added, removed, changed, unchanged, computed_at
     FROM version_changes WHERE project_id = $1 AND from_version_id = $2 AND to_version_id = $3";

/// Claims the pair: a second writer inserts nothing and stores none of its elements.
pub const INSERT_SET: &str = "INSERT INTO version_changes
     (project_id, from_version_id, to_version_id, added, removed, changed, unchanged, computed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT DO NOTHING";

pub const INSERT_ITEMS: &str = "INSERT INTO version_change_items
     (project_id, from_version_id, to_version_id, seq, kind, element_key, application_id,
      from_object_id, to_object_id, speckle_type, name, category, geometry_changed, properties) ";

pub const SELECT_ITEMS: &str = "SELECT kind, element_key, application_id, from_object_id,
        to_object_id, speckle_type, name, category, geometry_changed, properties
     FROM version_change_items
     WHERE project_id = $1 AND from_version_id = $2 AND to_version_id = $3
       AND ($4 IS NULL OR kind = $4)
     ORDER BY seq LIMIT $5 OFFSET $6";

#[derive(sqlx::FromRow)]
pub struct SetRow<T> {
    project_id: String,
    from_version_id: String,
    to_version_id: String,
    added: i64,
    removed: i64,
    changed: i64,
    unchanged: i64,
    computed_at: T,
}

impl<T: StoredTime> From<SetRow<T>> for ChangeSet {
    fn from(r: SetRow<T>) -> Self {
        ChangeSet {
            project_id: r.project_id,
            from_version_id: r.from_version_id,
            to_version_id: r.to_version_id,
            counts: ChangeCounts {
                added: r.added,
                removed: r.removed,
                changed: r.changed,
                unchanged: r.unchanged,
            },
            computed_at: r.computed_at.into_utc(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct ItemRow {
    kind: String,
    element_key: String,
    application_id: Option<String>,
    from_object_id: Option<String>,
    to_object_id: Option<String>,
    speckle_type: String,
    name: Option<String>,
    category: Option<String>,
    geometry_changed: bool,
    properties: String,
}

impl From<ItemRow> for ElementChange {
    fn from(r: ItemRow) -> Self {
        ElementChange {
            // Only this module writes the column, and the table's check allows no other value.
            kind: ChangeKind::parse(&r.kind).unwrap_or(ChangeKind::Changed),
            properties: serde_json::from_str::<Vec<PropertyChange>>(&r.properties)
                .unwrap_or_default(),
            key: r.element_key,
            application_id: r.application_id,
            from_object_id: r.from_object_id,
            to_object_id: r.to_object_id,
            speckle_type: r.speckle_type,
            name: r.name,
            category: r.category,
            geometry_changed: r.geometry_changed,
        }
    }
}

pub fn properties_to_db(properties: &[PropertyChange]) -> String {
    serde_json::to_string(properties).unwrap_or_else(|_| "[]".into())
}

/// `impl ChangeStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! change_store {
    ($db:ty) => {
        const _: () = {
            use $crate::db::dialect::Dialect;
            use $crate::db::query::Fetch;

            type Time = <$db as Dialect>::Time;
            type Db = <$db as Dialect>::Db;

            #[async_trait::async_trait]
            impl $crate::changes::ChangeStore for $db {
                async fn change_set(
                    &self,
                    project_id: &str,
                    from_version_id: &str,
                    to_version_id: &str,
                ) -> $crate::error::Result<Option<$crate::changes::ChangeSet>> {
                    sqlx::query_as::<_, $crate::db::changes::SetRow<Time>>(
                        $crate::db::changes::SELECT_SET,
                    )
                    .bind(project_id)
                    .bind(from_version_id)
                    .bind(to_version_id)
                    .optional(&self.pool, "reading a change set")
                    .await
                }

                async fn save_change_set(
                    &self,
                    set: &$crate::changes::ChangeSet,
                    elements: &[$crate::changes::ElementChange],
                ) -> $crate::error::Result<bool> {
                    use $crate::error::Context;
                    let what = || "storing a change set".to_string();
                    let mut tx = self.pool.begin().await.context(what)?;
                    let claimed = sqlx::query($crate::db::changes::INSERT_SET)
                        .bind(&set.project_id)
                        .bind(&set.from_version_id)
                        .bind(&set.to_version_id)
                        .bind(set.counts.added)
                        .bind(set.counts.removed)
                        .bind(set.counts.changed)
                        .bind(set.counts.unchanged)
                        .bind(<$db as Dialect>::time(set.computed_at))
                        .execute(&mut *tx)
                        .await
                        .context(what)?;
                    if claimed.rows_affected() == 0 {
                        return Ok(false);
                    }
                    for (chunk_index, chunk) in elements
                        .chunks($crate::db::changes::ROWS_PER_INSERT)
                        .enumerate()
                    {
                        let first = chunk_index * $crate::db::changes::ROWS_PER_INSERT;
                        let mut insert =
                            sqlx::QueryBuilder::<Db>::new($crate::db::changes::INSERT_ITEMS);
                        insert.push_values(chunk.iter().enumerate(), |mut row, (i, e)| {
                            row.push_bind(set.project_id.clone())
                                .push_bind(set.from_version_id.clone())
                                .push_bind(set.to_version_id.clone())
                                .push_bind((first + i) as i64)
                                .push_bind(e.kind.as_str())
                                .push_bind(e.key.clone())
                                .push_bind(e.application_id.clone())
                                .push_bind(e.from_object_id.clone())
                                .push_bind(e.to_object_id.clone())
                                .push_bind(e.speckle_type.clone())
                                .push_bind(e.name.clone())
                                .push_bind(e.category.clone())
                                .push_bind(e.geometry_changed)
                                .push_bind($crate::db::changes::properties_to_db(&e.properties));
                        });
                        insert.build().execute(&mut *tx).await.context(what)?;
                    }
                    tx.commit().await.context(what)?;
                    Ok(true)
                }

                async fn element_changes(
                    &self,
                    project_id: &str,
                    from_version_id: &str,
                    to_version_id: &str,
                    kind: Option<$crate::changes::ChangeKind>,
                    window: $crate::projects::Window,
                ) -> $crate::error::Result<Vec<$crate::changes::ElementChange>> {
                    sqlx::query_as::<_, $crate::db::changes::ItemRow>(
                        $crate::db::changes::SELECT_ITEMS,
                    )
                    .bind(project_id)
                    .bind(from_version_id)
                    .bind(to_version_id)
                    .bind(kind.map(|k| k.as_str()))
                    .bind(window.limit)
                    .bind(window.offset)
                    .all(&self.pool, "listing a change set's elements")
                    .await
                }
            }
        };
    };
}

pub(crate) use change_store;

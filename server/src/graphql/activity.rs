//! `Project.activity` / `Stream.activity`: the project's log, newest first.

use async_graphql::{Context, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::projects::service;

use super::context::core;
use super::errors::{code, from_core};
use super::scalars::JsonObject;

#[derive(SimpleObject)]
pub struct Activity {
    id: String,
    action_type: String,
    info: JsonObject,
    user_id: Option<String>,
    stream_id: String,
    resource_id: String,
    resource_type: String,
    time: DateTime<Utc>,
    message: Option<String>,
}

#[derive(SimpleObject)]
pub struct ActivityCollection {
    total_count: i64,
    /// Where the next page starts; `null` after the last one.
    cursor: Option<String>,
    items: Vec<Activity>,
}

impl ActivityCollection {
    pub async fn load(
        ctx: &Context<'_>,
        access: &service::Access,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<Self> {
        let limit = i64::from(limit.unwrap_or(25).clamp(1, 200));
        let before = cursor
            .map(|c| {
                c.parse::<i64>()
                    .map_err(|_| code("invalid cursor", "BAD_USER_INPUT"))
            })
            .transpose()?;
        let rows = access
            .activity(core(ctx), before, limit)
            .await
            .map_err(from_core)?;
        let total_count = access.activity_count(core(ctx)).await.map_err(from_core)?;
        let cursor = (rows.len() as i64 == limit)
            .then(|| rows.last().map(|a| a.seq.to_string()))
            .flatten();
        Ok(ActivityCollection {
            total_count,
            cursor,
            items: rows
                .into_iter()
                .map(|a| Activity {
                    id: a.seq.to_string(),
                    action_type: a.action_type,
                    info: JsonObject(a.info),
                    user_id: a.user_id,
                    stream_id: a.project_id,
                    resource_id: a.resource_id,
                    resource_type: a.resource_type,
                    time: a.time,
                    message: a.message,
                })
                .collect(),
        })
    }
}

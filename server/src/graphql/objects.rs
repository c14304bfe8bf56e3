//! `Project.object` and its children, and the legacy `objectCreate`.

use async_graphql::{Context, InputObject, Object as GqlObject, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::authz::Action;
use fleck_core::objects::{batch, ProjectObjects, StoredObject};

use super::context::{actor, core, load};
use super::errors::{code, from_core};
use super::scalars::JsonObject;

/// Objects one `objectCreate` call may hold (Speckle's MAX_BATCH_SIZE).
const CREATE_LIMIT: usize = 250;

/// An object, with the project's objects its children are read from.
pub struct Object {
    object: StoredObject,
    objects: ProjectObjects,
}

impl Object {
    pub fn new(object: StoredObject, objects: ProjectObjects) -> Self {
        Object { object, objects }
    }
}

#[GqlObject]
impl Object {
    async fn id(&self) -> &str {
        &self.object.id
    }

    async fn speckle_type(&self) -> &str {
        &self.object.speckle_type
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.object.created_at
    }

    async fn total_children_count(&self) -> Option<i64> {
        self.object.total_children_count
    }

    async fn data(&self) -> Result<JsonObject> {
        serde_json::from_str(&self.object.data)
            .map(JsonObject)
            .map_err(|e| {
                code(
                    format!("stored object is not JSON: {e}"),
                    "INTERNAL_SERVER_ERROR",
                )
            })
    }

    /// The objects in its closure up to `depth` levels down, by id; the cursor is the last id.
    #[graphql(complexity = "super::paging::cost(Some(limit), 100, 1000, child_complexity)")]
    async fn children(
        &self,
        #[graphql(default = 100)] limit: i32,
        #[graphql(default = 50)] depth: i32,
        cursor: Option<String>,
    ) -> Result<ObjectCollection> {
        let closure = closure_within(&self.object.data, i64::from(depth))?;
        let total_count = closure.len() as i64;
        let start = match &cursor {
            Some(after) => closure.partition_point(|id| id <= after),
            None => 0,
        };
        let ids: Vec<String> = closure
            .into_iter()
            .skip(start)
            .take(limit.clamp(0, 1000) as usize)
            .collect();
        let mut objects = Vec::with_capacity(ids.len());
        for id in &ids {
            if let Some(object) = self.objects.object(id).await.map_err(from_core)? {
                objects.push(Object::new(object, self.objects.clone()));
            }
        }
        let more = start + ids.len() < total_count as usize;
        Ok(ObjectCollection {
            total_count,
            cursor: ids.last().filter(|_| more).cloned(),
            objects,
        })
    }
}

/// Closure ids at most `depth` levels down, sorted.
fn closure_within(json: &str, depth: i64) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Closure {
        #[serde(rename = "__closure", default)]
        closure: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    }
    let parsed: Closure = serde_json::from_str(json).map_err(|e| {
        code(
            format!("stored object is not JSON: {e}"),
            "INTERNAL_SERVER_ERROR",
        )
    })?;
    Ok(parsed
        .closure
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, d)| d.as_i64().is_none_or(|d| d <= depth))
        .map(|(id, _)| id)
        .collect())
}

#[derive(SimpleObject)]
pub struct ObjectCollection {
    total_count: i64,
    cursor: Option<String>,
    objects: Vec<Object>,
}

#[derive(InputObject)]
pub struct ObjectCreateInput {
    stream_id: String,
    objects: Vec<Option<JsonObject>>,
}

#[derive(Default)]
pub struct ObjectMutation;

#[GqlObject]
impl ObjectMutation {
    /// Stores objects sent inline (older clients); returns their ids in order.
    async fn object_create(
        &self,
        ctx: &Context<'_>,
        object_input: ObjectCreateInput,
    ) -> Result<Vec<Option<String>>> {
        let access = load(ctx, &object_input.stream_id, Action::WriteProject).await?;
        if object_input.objects.len() > CREATE_LIMIT {
            return Err(code(
                format!("At most {CREATE_LIMIT} objects at once; upload larger batches over REST."),
                "BAD_USER_INPUT",
            ));
        }
        let texts: Vec<String> = object_input
            .objects
            .iter()
            .flatten()
            .map(|o| o.0.to_string())
            .collect();
        let array = format!("[{}]", texts.join(","));
        let objects = batch::parse(array.as_bytes(), usize::MAX)
            .map_err(|e| code(e.to_string(), "BAD_USER_INPUT"))?;
        let ids = objects.iter().map(|o| Some(o.id.clone())).collect();
        fleck_core::objects::store(core(ctx), actor(ctx), &access, objects)
            .await
            .map_err(from_core)?;
        Ok(ids)
    }
}

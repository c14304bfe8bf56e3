//! Walking a Speckle model tree from its root and collecting what it draws.
//!
//! Per object:
//! - geometry (mesh, line, polyline, point, curve…) is drawn and not looked into further (a
//!   line's `start` is not a separate point);
//! - instances draw their definition's geometry through their transform, then their hosted
//!   `elements` in place;
//! - anything else with a `displayValue` draws that (one object or a list) on its behalf, then
//!   walks its `elements` and "@" children; the rest of its properties (a Brep's edges, a wall's
//!   base line) describe the same thing again and are skipped;
//! - anything else is a container: every property holding objects or references is walked,
//!   bar a few that never hold drawable children (materials, parameters, levels…).
//!
//! Units and render materials are inherited down the tree. The same object reached twice in one
//! "scope" is drawn once; each instance, and each element's display value, opens a new scope, so
//! a shared definition is drawn once per instance. A reference back to an object on the current
//! path is a cycle and is not followed.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::batches::{Batches, Owner};
use crate::curves::read_curve;
use crate::material::{display_style_color, own_render_material, Material};
use crate::math::Vec3;
use crate::mesh::MeshData;
use crate::objects::{reference_id, ObjectSource};
use crate::points::{point_from, read_point_cloud};
use crate::proxies::{str_field, Proxies};
use crate::report::{BuildReport, Skip};
use crate::scene::{Scene, SceneObject};
use crate::speckle_types::{kind_of, short_type, InstanceKind, Kind};
use crate::transform::{read_transform, units_of, Transform};

/// Deeper trees than this are taken as broken rather than risking the stack.
const MAX_DEPTH: usize = 200;

/// Limits on what one scene build expands and draws, so that a model made to blow up (blocks of
/// blocks of blocks, each placed a thousand times) cannot take all memory or time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BuildLimits {
    /// Instances placed inside instances' definitions, at most this deep; deeper ones are
    /// skipped as malformed.
    pub max_instance_depth: usize,
    /// Instances expanded in the whole build; the ones after are skipped as malformed.
    pub max_instances: usize,
    /// Objects walked; past it the build stops and says so in [`BuildReport::stopped`].
    pub max_objects: Option<usize>,
    /// Triangles, line segments and points drawn; past it the build stops likewise.
    pub max_primitives: Option<usize>,
    /// Triangles drawn in full; each mesh that would pass it is drawn as its bounding box
    /// instead (counted in [`BuildReport::boxed`]), so a huge model still gets a coarse scene.
    pub triangle_budget: Option<usize>,
    /// When the build stops likewise. Only where the platform has a clock (not in the
    /// browser, where the viewer never sets it).
    pub deadline: Option<std::time::Instant>,
}

impl Default for BuildLimits {
    /// What any scene is held to: instance nesting and expansion; no size or time limit.
    fn default() -> Self {
        BuildLimits {
            max_instance_depth: 16,
            max_instances: 100_000,
            max_objects: None,
            max_primitives: None,
            triangle_budget: None,
            deadline: None,
        }
    }
}

/// How often (in objects walked) the deadline is looked at.
const DEADLINE_EVERY: usize = 256;

/// Lines and points with no colour of their own or inherited.
const DEFAULT_LINE_COLOR: [u8; 4] = [40, 40, 40, 255];

const DISPLAY_KEYS: [&str; 4] = [
    "displayValue",
    "@displayValue",
    "displayMesh",
    "@displayMesh",
];

/// Properties never walked: they hold no drawable children, or hold data drawn elsewhere.
const SKIPPED_KEYS: &[&str] = &[
    "renderMaterial",
    "@renderMaterial",
    "displayStyle",
    "@displayStyle",
    "parameters",
    "@parameters",
    "properties",
    "transform",
    "bbox",
    "basePoint",
    "insertionPoint",
    "plane",
    "level",
    "@level",
    "materialQuantities",
    "renderMaterialProxies",
    "colorProxies",
    "instanceDefinitionProxies",
    "levelProxies",
    "groupProxies",
];

pub(crate) fn build(source: &ObjectSource, root_id: &str, limits: BuildLimits) -> Scene {
    let mut walker = Walker {
        source,
        limits,
        walked: 0,
        primitives: 0,
        instances: 0,
        proxies: Proxies::default(),
        batches: Batches::default(),
        objects: Vec::new(),
        report: BuildReport::default(),
        visited: HashSet::new(),
        ancestors: Vec::new(),
        scopes: 0,
        mesh: MeshData::default(),
        positions: Vec::new(),
        colors: Vec::new(),
    };
    match source.get_object(root_id) {
        Some(root) => {
            walker.proxies = Proxies::read(source, root);
            walker.visit_object(root, &Context::ROOT);
        }
        None => walker
            .report
            .record(Skip::Missing(root_id.to_owned()), None),
    }
    Scene {
        origin: walker.batches.frame.origin(),
        bounds: walker.batches.frame.bounds(),
        meshes: walker.batches.meshes,
        lines: walker.batches.lines,
        points: walker.batches.points,
        objects: walker.objects,
        report: walker.report,
    }
}

/// What an object inherits from the path that reached it.
#[derive(Debug, Clone, Copy)]
struct Context<'a> {
    /// Instance transforms so far, in metres.
    transform: Transform,
    material: Option<Material>,
    units: Option<&'a str>,
    /// The nearest listed ancestor: the parent in the model tree.
    parent: Option<Owner<'a>>,
    /// Set while drawing on behalf of another object (its display value or definition).
    owner: Option<Owner<'a>>,
    scope: u32,
    depth: usize,
    /// Instances on the path that placed this object.
    instance_depth: usize,
    /// Inside a non-physical element (a space, an opening): drawn see-through.
    see_through: bool,
}

impl Context<'_> {
    const ROOT: Context<'static> = Context {
        transform: Transform::IDENTITY,
        material: None,
        units: None,
        parent: None,
        owner: None,
        scope: 0,
        depth: 0,
        instance_depth: 0,
        see_through: false,
    };
}

/// Which properties of an object to walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Children {
    All,
    ElementsOnly,
}

struct Walker<'a> {
    source: &'a ObjectSource,
    limits: BuildLimits,
    /// Objects walked, primitives drawn and instances expanded so far.
    walked: usize,
    primitives: usize,
    instances: usize,
    proxies: Proxies<'a>,
    batches: Batches,
    objects: Vec<SceneObject>,
    report: BuildReport,
    /// (scope, id) of every object walked.
    visited: HashSet<(u32, &'a str)>,
    /// Ids on the path from the root to the object being walked.
    ancestors: Vec<&'a str>,
    scopes: u32,
    // Buffers reused from object to object.
    mesh: MeshData,
    positions: Vec<Vec3>,
    colors: Vec<[u8; 4]>,
}

impl<'a> Walker<'a> {
    fn visit_value(&mut self, value: &'a Value, ctx: &Context<'a>) {
        match value {
            Value::Array(items) => {
                // Arrays of numbers or strings hold no objects; skip them whole.
                if items
                    .first()
                    .is_some_and(|first| !first.is_object() && !first.is_array())
                {
                    return;
                }
                for item in items {
                    self.visit_value(item, ctx);
                }
            }
            Value::Object(object) => match reference_id(value) {
                Some(id) => match self.source.get_object(id) {
                    Some(target) => self.visit_object(target, ctx),
                    None => self.report.record(Skip::Missing(id.to_owned()), None),
                },
                None => self.visit_object(object, ctx),
            },
            _ => {}
        }
    }

    /// Whether the build has stopped at a limit; checks the object and time limits first.
    fn stopped(&mut self) -> bool {
        if self.report.stopped.is_some() {
            return true;
        }
        self.walked += 1;
        let why = if self.limits.max_objects.is_some_and(|max| self.walked > max) {
            Some(format!(
                "the model has more than {} objects",
                self.limits.max_objects.unwrap_or_default()
            ))
        } else if (self.walked - 1).is_multiple_of(DEADLINE_EVERY)
            && self
                .limits
                .deadline
                .is_some_and(|deadline| std::time::Instant::now() >= deadline)
        {
            Some("building the scene took longer than its time limit".to_owned())
        } else {
            None
        };
        self.report.stopped = why;
        self.report.stopped.is_some()
    }

    /// Counts `drawn` primitives; past the limit the build stops.
    fn count_primitives(&mut self, drawn: usize) {
        self.primitives += drawn;
        if let Some(max) = self.limits.max_primitives {
            if self.primitives > max && self.report.stopped.is_none() {
                self.report.stopped = Some(format!(
                    "the model has more than {max} triangles, line segments and points"
                ));
            }
        }
    }

    fn visit_object(&mut self, object: &'a Map<String, Value>, ctx: &Context<'a>) {
        if self.stopped() {
            return;
        }
        let speckle_type = str_field(object, "speckle_type").unwrap_or("Base");
        let kind = kind_of(speckle_type);
        // Definitions are templates, drawn only through the instances that place them.
        if matches!(kind, Kind::Inert | Kind::Definition) {
            return;
        }
        let id = str_field(object, "id");
        if ctx.depth >= MAX_DEPTH {
            self.report.record(Skip::malformed("nested too deep"), id);
            return;
        }
        if let Some(id) = id {
            if self.ancestors.contains(&id) {
                self.report.record(Skip::Cycle(id.to_owned()), None);
                return;
            }
            if !self.visited.insert((ctx.scope, id)) {
                return;
            }
        }
        // Speckle 3 definition members are listed in the tree but drawn only by instances.
        if ctx.owner.is_none() && self.proxies.is_member(object) {
            return;
        }

        let this = Owner {
            id: id.unwrap_or_default(),
            speckle_type,
        };
        let mut inner = *ctx;
        inner.depth += 1;
        inner.units = units_of(object).or(ctx.units);
        if let Some(material) = self.own_material(object) {
            inner.material = Some(material);
        }
        let category = str_field(object, "category").unwrap_or_else(|| short_type(speckle_type));
        inner.see_through |= crate::scene::is_non_physical(category);
        if let (None, Some(id)) = (ctx.owner, id) {
            self.objects
                .push(scene_object(object, id, speckle_type, ctx.parent));
            inner.parent = Some(this);
        }
        let owner = match (ctx.owner, id) {
            (Some(owner), _) => owner,
            (None, Some(_)) => this,
            (None, None) => ctx.parent.unwrap_or(this),
        };

        if let Some(id) = id {
            self.ancestors.push(id);
        }
        match kind {
            Kind::Mesh => self.draw_mesh(object, &inner, owner),
            Kind::Line | Kind::Polyline | Kind::Curve(_) => {
                self.draw_curve(object, kind, &inner, owner)
            }
            Kind::Point | Kind::PointCloud => self.draw_points(object, kind, &inner, owner),
            Kind::Instance(instance) => self.visit_instance(object, instance, &inner, owner),
            Kind::Other => match display_value(object) {
                Some(display) => {
                    let representation = Context {
                        owner: Some(owner),
                        scope: self.new_scope(),
                        ..inner
                    };
                    self.visit_value(display, &representation);
                    self.visit_children(object, &inner, Children::ElementsOnly);
                }
                None => self.visit_children(object, &inner, Children::All),
            },
            Kind::Inert | Kind::Definition => {}
        }
        if id.is_some() {
            self.ancestors.pop();
        }
    }

    fn visit_children(
        &mut self,
        object: &'a Map<String, Value>,
        ctx: &Context<'a>,
        which: Children,
    ) {
        for (key, value) in object {
            if !(value.is_object() || value.is_array())
                || key.starts_with("__")
                || DISPLAY_KEYS.contains(&key.as_str())
                || SKIPPED_KEYS.contains(&key.as_str())
            {
                continue;
            }
            if which == Children::ElementsOnly && !(key == "elements" || key.starts_with('@')) {
                continue;
            }
            self.visit_value(value, ctx);
        }
    }

    /// Draws an instance's definition through its transform (all attributed to the instance),
    /// then walks its hosted elements, which are placed in world coordinates already.
    fn visit_instance(
        &mut self,
        instance: &'a Map<String, Value>,
        kind: InstanceKind,
        ctx: &Context<'a>,
        owner: Owner<'a>,
    ) {
        let local = match instance
            .get("transform")
            .or_else(|| instance.get("Transform"))
        {
            Some(transform) => read_transform(self.source, transform, ctx.units),
            None => Ok(Transform::IDENTITY),
        };
        let id = str_field(instance, "id");
        let expanded = if ctx.instance_depth >= self.limits.max_instance_depth {
            let why = format!(
                "instances nested more than {} deep",
                self.limits.max_instance_depth
            );
            Err(Skip::malformed(why))
        } else if self.instances >= self.limits.max_instances {
            let why = format!("more than {} instances", self.limits.max_instances);
            Err(Skip::malformed(why))
        } else {
            self.instances += 1;
            local
        };
        match expanded {
            Ok(local) => {
                let placed = Context {
                    transform: ctx.transform.then_inner(&local),
                    owner: Some(owner),
                    scope: self.new_scope(),
                    instance_depth: ctx.instance_depth + 1,
                    ..*ctx
                };
                match kind {
                    InstanceKind::Definition => self.draw_definition(instance, &placed),
                    InstanceKind::Proxy => self.draw_proxy_definition(instance, &placed),
                }
            }
            Err(skip) => self.report.record(skip, id),
        }
        for key in ["elements", "@elements"] {
            if let Some(elements) = instance.get(key) {
                self.visit_value(elements, ctx);
            }
        }
    }

    /// Speckle 2: `definition` / `blockDefinition`, whose `geometry` (or `displayValue`,
    /// `elements`) holds the shapes.
    fn draw_definition(&mut self, instance: &'a Map<String, Value>, placed: &Context<'a>) {
        let reference = [
            "definition",
            "@definition",
            "blockDefinition",
            "@blockDefinition",
        ]
        .iter()
        .find_map(|key| instance.get(*key));
        let Some(reference) = reference else {
            let why = Skip::malformed("instance has no definition");
            self.report.record(why, str_field(instance, "id"));
            return;
        };
        let definition = match self.source.resolve(reference) {
            Ok(Value::Object(definition)) => definition,
            Ok(_) => {
                let why = Skip::malformed("instance definition is not an object");
                self.report.record(why, str_field(instance, "id"));
                return;
            }
            Err(missing) => {
                self.report.record(missing.into(), None);
                return;
            }
        };
        let marker = str_field(definition, "id");
        if !self.enter(marker) {
            return;
        }
        let mut inside = *placed;
        inside.depth += 1;
        inside.units = units_of(definition).or(placed.units);
        if let Some(material) = self.own_material(definition) {
            inside.material = Some(material);
        }
        for key in ["geometry", "@geometry", "elements", "@elements"]
            .iter()
            .chain(DISPLAY_KEYS.iter())
        {
            if let Some(shapes) = definition.get(*key) {
                self.visit_value(shapes, &inside);
            }
        }
        self.leave(marker);
    }

    /// Speckle 3: `definitionId` names an `InstanceDefinitionProxy` whose `objects` are
    /// application ids.
    fn draw_proxy_definition(&mut self, instance: &'a Map<String, Value>, placed: &Context<'a>) {
        let definition_id =
            str_field(instance, "definitionId").or_else(|| str_field(instance, "DefinitionId"));
        let Some(definition_id) = definition_id else {
            let why = Skip::malformed("instance proxy has no definitionId");
            self.report.record(why, str_field(instance, "id"));
            return;
        };
        let Some(definition) = self.proxies.definition(definition_id) else {
            self.report
                .record(Skip::Missing(definition_id.to_owned()), None);
            return;
        };
        let (marker, members) = (definition.marker, definition.objects.clone());
        if !self.enter(Some(marker)) {
            return;
        }
        for application_id in members {
            match self
                .source
                .by_application_id(application_id)
                .and_then(Value::as_object)
            {
                Some(member) => self.visit_object(member, placed),
                None => self
                    .report
                    .record(Skip::Missing(application_id.to_owned()), None),
            }
        }
        self.leave(Some(marker));
    }

    /// Puts a definition on the path; `false` (a cycle) when it already is.
    fn enter(&mut self, marker: Option<&'a str>) -> bool {
        let Some(marker) = marker else { return true };
        if self.ancestors.contains(&marker) {
            self.report.record(Skip::Cycle(marker.to_owned()), None);
            return false;
        }
        self.ancestors.push(marker);
        true
    }

    fn leave(&mut self, marker: Option<&'a str>) {
        if marker.is_some() {
            self.ancestors.pop();
        }
    }

    fn draw_mesh(&mut self, mesh: &'a Map<String, Value>, ctx: &Context<'a>, owner: Owner<'a>) {
        let material = ctx.material.unwrap_or(Material::DEFAULT);
        let material = if ctx.see_through {
            material.see_through()
        } else {
            material
        };
        let drawn = self.mesh.read(self.source, mesh, ctx.units).and_then(|()| {
            let over_budget = self
                .limits
                .triangle_budget
                .is_some_and(|budget| self.primitives + self.mesh.triangles.len() > budget);
            if over_budget && self.mesh.replace_with_bounding_box() {
                self.report.boxed += 1;
            }
            let triangles = self.mesh.triangles.len();
            self.batches
                .add_mesh(&mut self.mesh, &ctx.transform, material, owner)
                .map(|()| triangles)
        });
        match drawn {
            Ok(triangles) => self.count_primitives(triangles),
            Err(skip) => self.report.record(skip, str_field(mesh, "id")),
        }
    }

    fn draw_curve(
        &mut self,
        curve: &'a Map<String, Value>,
        kind: Kind,
        ctx: &Context<'a>,
        owner: Owner<'a>,
    ) {
        self.positions.clear();
        let color = self.line_color(curve, ctx);
        let drawn =
            read_curve(self.source, curve, kind, ctx.units, &mut self.positions).and_then(|()| {
                let segments = self.positions.len() / 2;
                self.batches
                    .add_segments(&mut self.positions, &ctx.transform, color, owner)
                    .map(|()| segments)
            });
        match drawn {
            Ok(segments) => self.count_primitives(segments),
            Err(skip) => self.report.record(skip, str_field(curve, "id")),
        }
    }

    fn draw_points(
        &mut self,
        object: &'a Map<String, Value>,
        kind: Kind,
        ctx: &Context<'a>,
        owner: Owner<'a>,
    ) {
        self.positions.clear();
        self.colors.clear();
        let read = if kind == Kind::PointCloud {
            read_point_cloud(
                self.source,
                object,
                ctx.units,
                &mut self.positions,
                &mut self.colors,
            )
        } else {
            point_from(object, ctx.units).map(|point| self.positions.push(point))
        };
        let color = self.line_color(object, ctx);
        let points = self.positions.len();
        let drawn = read.and_then(|()| {
            self.batches.add_points(
                &mut self.positions,
                &self.colors,
                &ctx.transform,
                color,
                owner,
            )
        });
        match drawn {
            Ok(()) => self.count_primitives(points),
            Err(skip) => self.report.record(skip, str_field(object, "id")),
        }
    }

    /// Lines and points: their own display style, else the inherited material's colour.
    fn line_color(&self, object: &Map<String, Value>, ctx: &Context<'a>) -> [u8; 4] {
        display_style_color(self.source, object)
            .or_else(|| {
                ctx.material
                    .map(|m| [m.color[0], m.color[1], m.color[2], 255])
            })
            .unwrap_or(DEFAULT_LINE_COLOR)
    }

    /// An object's own render material, else one a Speckle 3 proxy gives it.
    fn own_material(&self, object: &Map<String, Value>) -> Option<Material> {
        own_render_material(self.source, object).or_else(|| {
            let application_id = str_field(object, "applicationId")?;
            self.proxies.material(application_id)
        })
    }

    fn new_scope(&mut self) -> u32 {
        self.scopes += 1;
        self.scopes
    }
}

fn display_value(object: &Map<String, Value>) -> Option<&Value> {
    DISPLAY_KEYS
        .iter()
        .find_map(|key| object.get(*key).filter(|value| !value.is_null()))
}

fn scene_object(
    object: &Map<String, Value>,
    id: &str,
    speckle_type: &str,
    parent: Option<Owner<'_>>,
) -> SceneObject {
    let text = |key: &str| str_field(object, key).filter(|text| !text.trim().is_empty());
    let short = short_type(speckle_type);
    SceneObject {
        id: id.to_owned(),
        speckle_type: speckle_type.to_owned(),
        name: text("name").unwrap_or(short).to_owned(),
        category: text("category").unwrap_or(short).to_owned(),
        parent: parent.map(|parent| parent.id.to_owned()),
    }
}

//! Speckle 3 proxies: tables on the root object that attach materials, colours and block
//! definitions to objects named by their `applicationId`.
//!
//! - `renderMaterialProxies`: `{ value: RenderMaterial, objects: [applicationId…] }`; the ids may
//!   name layers (collections), whose material their contents inherit.
//! - `colorProxies`: `{ value: ARGB, objects: [applicationId…] }`.
//! - `instanceDefinitionProxies`: `{ applicationId, objects: [applicationId…] }`; an
//!   `InstanceProxy` names one by `definitionId`. The objects listed are part of the model tree
//!   like any other, but are drawn only where instances place them.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::material::{argb_of, read_render_material, Material};
use crate::objects::ObjectSource;

/// A block definition: the objects (by `applicationId`) an instance places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Definition<'a> {
    /// The proxy's own `id` (or its application id): marks the definition on the walk's path,
    /// so a definition that contains an instance of itself is noticed.
    pub(crate) marker: &'a str,
    pub(crate) objects: Vec<&'a str>,
}

#[derive(Debug, Default)]
pub(crate) struct Proxies<'a> {
    materials: HashMap<&'a str, Material>,
    colors: HashMap<&'a str, Material>,
    definitions: HashMap<&'a str, Definition<'a>>,
    members: HashSet<&'a str>,
}

impl<'a> Proxies<'a> {
    pub(crate) fn read(source: &'a ObjectSource, root: &'a Map<String, Value>) -> Self {
        let mut proxies = Proxies::default();
        for proxy in list(source, root, "renderMaterialProxies") {
            if let Some(material) = proxy
                .get("value")
                .and_then(|v| read_render_material(source, v))
            {
                for id in application_ids(source, proxy) {
                    proxies.materials.insert(id, material);
                }
            }
        }
        for proxy in list(source, root, "colorProxies") {
            if let Some(argb) = proxy.get("value").and_then(argb_of) {
                for id in application_ids(source, proxy) {
                    proxies.colors.insert(id, Material::from_argb(argb, 1.0));
                }
            }
        }
        for proxy in list(source, root, "instanceDefinitionProxies") {
            let Some(definition_id) = str_field(proxy, "applicationId") else {
                continue;
            };
            let objects = application_ids(source, proxy);
            proxies.members.extend(objects.iter().copied());
            let marker = str_field(proxy, "id").unwrap_or(definition_id);
            proxies
                .definitions
                .insert(definition_id, Definition { marker, objects });
        }
        proxies
    }

    /// The material a proxy gives the object with this application id: its render material,
    /// else its colour, opaque.
    pub(crate) fn material(&self, application_id: &str) -> Option<Material> {
        self.materials
            .get(application_id)
            .or_else(|| self.colors.get(application_id))
            .copied()
    }

    pub(crate) fn definition(&self, definition_id: &str) -> Option<&Definition<'a>> {
        self.definitions.get(definition_id)
    }

    /// Whether `object` belongs to a block definition (and so is drawn only by its instances).
    pub(crate) fn is_member(&self, object: &Map<String, Value>) -> bool {
        !self.members.is_empty()
            && str_field(object, "applicationId").is_some_and(|id| self.members.contains(id))
    }
}

/// The proxies listed under `key` (or `@key`) on the root, inline or referenced.
fn list<'a>(
    source: &'a ObjectSource,
    root: &'a Map<String, Value>,
    key: &str,
) -> Vec<&'a Map<String, Value>> {
    let Some(value) = root.get(key).or_else(|| root.get(&format!("@{key}"))) else {
        return Vec::new();
    };
    let Ok(items) = source.flat_array(value) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| source.resolve(item).ok()?.as_object())
        .collect()
}

fn application_ids<'a>(source: &'a ObjectSource, proxy: &'a Map<String, Value>) -> Vec<&'a str> {
    let Some(Ok(objects)) = proxy.get("objects").map(|o| source.flat_array(o)) else {
        return Vec::new();
    };
    objects.iter().filter_map(Value::as_str).collect()
}

pub(crate) fn str_field<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_material_colour_and_definition_tables() {
        let mut source = ObjectSource::new();
        source.insert(json!({
            "id": "def-proxy", "applicationId": "block-a",
            "speckle_type": "Speckle.Core.Models.Instances.InstanceDefinitionProxy",
            "objects": ["box-1", "box-2"]
        }));
        let root = json!({
            "id": "root",
            "renderMaterialProxies": [{
                "speckle_type": "Objects.Other.RenderMaterialProxy",
                "value": { "diffuse": -65536, "opacity": 0.5 },
                "objects": ["layer-1"]
            }],
            "colorProxies": [{ "value": -16711936, "objects": ["curve-1"] }],
            "instanceDefinitionProxies": [{ "referencedId": "def-proxy" }]
        });
        let proxies = Proxies::read(&source, root.as_object().unwrap());
        assert_eq!(proxies.material("layer-1").unwrap().color, [255, 0, 0, 128]);
        assert_eq!(proxies.material("curve-1").unwrap().color, [0, 255, 0, 255]);
        assert!(proxies.material("other").is_none());
        let definition = proxies.definition("block-a").unwrap();
        assert_eq!(definition.objects, vec!["box-1", "box-2"]);
        assert_eq!(definition.marker, "def-proxy");
        let member = json!({ "applicationId": "box-2" });
        assert!(proxies.is_member(member.as_object().unwrap()));
        let other = json!({ "applicationId": "wall" });
        assert!(!proxies.is_member(other.as_object().unwrap()));
    }

    #[test]
    fn no_proxies_is_fine() {
        let source = ObjectSource::new();
        let root = json!({ "id": "root", "colorProxies": 5 });
        let proxies = Proxies::read(&source, root.as_object().unwrap());
        assert!(proxies.definition("x").is_none());
    }
}

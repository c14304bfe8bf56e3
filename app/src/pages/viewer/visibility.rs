//! What the 3D view shows: the model tree as the page lists it, and what is hidden or isolated
//! (whole categories, tree nodes with everything below them, search results), turned into the
//! sets of object ids the viewer draws or skips.

use std::collections::{HashMap, HashSet};

/// One object in the tree, as the page lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeEntry {
    pub id: String,
    pub name: String,
    pub category: String,
    /// The nearest listed ancestor.
    pub parent: Option<String>,
    /// A level of the spatial tree (project, site, building, storey) or another collection.
    pub collection: bool,
    /// A room, zone or opening: hidden until asked for.
    pub non_physical: bool,
}

/// What is hidden or isolated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shown {
    pub hidden_categories: Vec<String>,
    pub isolated_category: Option<String>,
    /// Tree nodes hidden with everything below them.
    pub hidden_nodes: Vec<String>,
    /// Only these tree nodes (and what is below them) are drawn; overrides an isolated category.
    pub isolated_nodes: Option<Vec<String>>,
    /// Spaces, zones and openings are drawn (see-through).
    pub spaces: bool,
}

impl Shown {
    /// Whether single objects are hidden or isolated (not only categories).
    pub fn object_level(&self) -> bool {
        !self.hidden_nodes.is_empty() || self.isolated_nodes.is_some()
    }

    /// Whether exactly these tree nodes are isolated.
    pub fn isolates(&self, ids: &[String]) -> bool {
        self.isolated_nodes.as_deref() == Some(ids)
    }

    /// Isolates these tree nodes, or shows everything again when they already are.
    pub fn toggle_isolated(&mut self, ids: Vec<String>) {
        self.isolated_nodes = if self.isolates(&ids) { None } else { Some(ids) };
    }

    /// The ids the viewer skips, and the ids it only draws (`None`: all).
    pub fn resolve(&self, entries: &[TreeEntry]) -> (HashSet<String>, Option<HashSet<String>>) {
        let in_categories = |categories: &[&String]| -> Vec<String> {
            entries
                .iter()
                .filter(|e| categories.contains(&&e.category))
                .map(|e| e.id.clone())
                .collect()
        };
        let hidden_roots: Vec<&String> = self.hidden_categories.iter().collect();
        let mut hidden = with_descendants(entries, &in_categories(&hidden_roots));
        hidden.extend(with_descendants(entries, &self.hidden_nodes));
        if !self.spaces {
            hidden.extend(
                entries
                    .iter()
                    .filter(|e| e.non_physical)
                    .map(|e| e.id.clone()),
            );
        }
        let isolated = match (&self.isolated_nodes, &self.isolated_category) {
            (Some(nodes), _) => Some(with_descendants(entries, nodes)),
            // A category's members with what is below them: a storey's elements, say.
            (None, Some(category)) => Some(with_descendants(entries, &in_categories(&[category]))),
            (None, None) => None,
        };
        (hidden, isolated)
    }
}

/// The ids of `roots` and of every entry below them.
pub fn with_descendants(entries: &[TreeEntry], roots: &[String]) -> HashSet<String> {
    let mut found: HashSet<String> = roots.iter().cloned().collect();
    // Parents come before children in the list, so one pass finds every descendant.
    for entry in entries {
        if entry.parent.as_ref().is_some_and(|p| found.contains(p)) {
            found.insert(entry.id.clone());
        }
    }
    found
}

/// The tree's shape: each node's children (by index into the entries), roots under `None`.
pub fn children_of(entries: &[TreeEntry]) -> HashMap<Option<String>, Vec<usize>> {
    let mut children: HashMap<Option<String>, Vec<usize>> = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        children
            .entry(entry.parent.clone())
            .or_default()
            .push(index);
    }
    children
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolating_the_same_nodes_again_shows_everything() {
        let mut shown = Shown::default();
        let walls = vec!["a".to_string(), "b".to_string()];
        shown.toggle_isolated(walls.clone());
        assert!(shown.isolates(&walls));
        shown.toggle_isolated(vec!["a".into()]);
        assert!(!shown.isolates(&walls), "other nodes take their place");
        shown.toggle_isolated(vec!["a".into()]);
        assert_eq!(shown.isolated_nodes, None);
    }

    fn entry(id: &str, category: &str, parent: Option<&str>) -> TreeEntry {
        TreeEntry {
            id: id.into(),
            name: id.into(),
            category: category.into(),
            parent: parent.map(Into::into),
            collection: category.starts_with("IfcBuilding") || category == "IfcSite",
            non_physical: category == "IfcSpace",
        }
    }

    fn house() -> Vec<TreeEntry> {
        vec![
            entry("site", "IfcSite", None),
            entry("building", "IfcBuilding", Some("site")),
            entry("ground", "IfcBuildingStorey", Some("building")),
            entry("wall-0", "IfcWall", Some("ground")),
            entry("room-0", "IfcSpace", Some("ground")),
            entry("first", "IfcBuildingStorey", Some("building")),
            entry("wall-1", "IfcWall", Some("first")),
            entry("window-1", "IfcWindow", Some("wall-1")),
        ]
    }

    fn set(ids: &[&str]) -> HashSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn spaces_are_hidden_until_asked_for() {
        let entries = house();
        let (hidden, isolated) = Shown::default().resolve(&entries);
        assert_eq!(hidden, set(&["room-0"]));
        assert_eq!(isolated, None);
        let shown = Shown {
            spaces: true,
            ..Shown::default()
        };
        assert!(shown.resolve(&entries).0.is_empty());
    }

    #[test]
    fn isolating_a_storey_keeps_its_elements_only() {
        let entries = house();
        let shown = Shown {
            isolated_nodes: Some(vec!["first".into()]),
            ..Shown::default()
        };
        assert_eq!(
            shown.resolve(&entries).1,
            Some(set(&["first", "wall-1", "window-1"]))
        );
        // The storey category isolates every storey with its elements, as a node would.
        let by_category = Shown {
            isolated_category: Some("IfcBuildingStorey".into()),
            spaces: true,
            ..Shown::default()
        };
        let only = by_category.resolve(&entries).1.unwrap();
        assert!(only.contains("wall-0") && only.contains("window-1") && only.contains("room-0"));
        assert!(!only.contains("site"));
    }

    #[test]
    fn hiding_a_node_hides_what_is_below_it() {
        let entries = house();
        let shown = Shown {
            hidden_nodes: vec!["wall-1".into()],
            hidden_categories: vec!["IfcBuildingStorey".into()],
            spaces: true,
            ..Shown::default()
        };
        let (hidden, _) = shown.resolve(&entries);
        assert_eq!(
            hidden,
            set(&["ground", "wall-0", "room-0", "first", "wall-1", "window-1"])
        );
    }

    #[test]
    fn children_are_listed_under_their_parent() {
        let entries = house();
        let children = children_of(&entries);
        assert_eq!(children[&None], vec![0]);
        assert_eq!(children[&Some("building".to_string())], vec![2, 5]);
    }
}

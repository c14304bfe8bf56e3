//! Matching two versions' elements and sorting them into added, removed, changed and unchanged.

use foldhash::{HashMap, HashSet};

use super::elements::Element;
use super::{ChangeCounts, ChangeKind, ElementChange};

/// The outcome of matching: counts, and the listed elements in order (changed, added, removed;
/// each by key). Changed elements whose properties differ have `properties_differ` set, for the
/// property pass to fill in.
pub struct Matched {
    pub counts: ChangeCounts,
    pub changes: Vec<Pending>,
}

pub struct Pending {
    pub change: ElementChange,
    pub properties_differ: bool,
}

pub fn compare(from: &[Element], to: &[Element]) -> Matched {
    let old: HashMap<&str, &Element> = from.iter().map(|e| (e.key.as_str(), e)).collect();
    let mut counts = ChangeCounts::default();
    let (mut changed, mut added) = (Vec::new(), Vec::new());
    for new in to {
        let Some(before) = old.get(new.key.as_str()) else {
            counts.added += 1;
            added.push(listed(ChangeKind::Added, new, None, Some(new), false));
            continue;
        };
        let geometry = before.geometry != new.geometry;
        let properties = before.properties != new.properties;
        // The same object id is the same content; different ids may still differ only in what
        // is compared elsewhere (hosted elements) or in bookkeeping.
        if before.object_id == new.object_id || !(geometry || properties) {
            counts.unchanged += 1;
            continue;
        }
        counts.changed += 1;
        changed.push(Pending {
            change: listed(ChangeKind::Changed, new, Some(before), Some(new), geometry).change,
            properties_differ: properties,
        });
    }
    let keys: HashSet<&str> = to.iter().map(|e| e.key.as_str()).collect();
    let removed: Vec<Pending> = from
        .iter()
        .filter(|e| !keys.contains(e.key.as_str()))
        .map(|e| listed(ChangeKind::Removed, e, Some(e), None, false))
        .collect();
    counts.removed = removed.len() as i64;
    changed.extend(added);
    changed.extend(removed);
    Matched {
        counts,
        changes: changed,
    }
}

/// `shown` describes the element: the newer object where it still exists.
fn listed(
    kind: ChangeKind,
    shown: &Element,
    before: Option<&Element>,
    after: Option<&Element>,
    geometry_changed: bool,
) -> Pending {
    Pending {
        change: ElementChange {
            kind,
            key: shown.key.clone(),
            application_id: shown.application_id.clone(),
            from_object_id: before.map(|e| e.object_id.clone()),
            to_object_id: after.map(|e| e.object_id.clone()),
            speckle_type: shown.speckle_type.clone(),
            name: shown.name.clone(),
            category: shown.category.clone(),
            geometry_changed,
            properties: Vec::new(),
        },
        properties_differ: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(key: &str, object: &str, geometry: u64, properties: u64) -> Element {
        Element {
            key: key.into(),
            application_id: Some(key.into()),
            object_id: object.into(),
            speckle_type: "Base".into(),
            name: None,
            category: None,
            geometry,
            properties,
        }
    }

    #[test]
    fn sorts_elements_into_kinds() {
        let from = [
            element("door", "d", 1, 1),
            element("same", "s", 1, 1),
            element("resent", "r1", 1, 1),
            element("wall", "w1", 1, 1),
        ];
        let to = [
            element("same", "s", 1, 1),
            element("resent", "r2", 1, 1),
            element("wall", "w2", 2, 1),
            element("window", "n", 1, 1),
        ];
        let matched = compare(&from, &to);
        assert_eq!(
            matched.counts,
            ChangeCounts {
                added: 1,
                removed: 1,
                changed: 1,
                unchanged: 2
            }
        );
        let listed: Vec<(ChangeKind, &str, bool)> = matched
            .changes
            .iter()
            .map(|p| {
                (
                    p.change.kind,
                    p.change.key.as_str(),
                    p.change.geometry_changed,
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (ChangeKind::Changed, "wall", true),
                (ChangeKind::Added, "window", false),
                (ChangeKind::Removed, "door", false),
            ]
        );
    }
}

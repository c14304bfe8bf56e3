//! Model names nest by `/` ("building a/level 1/walls"); lists show them as a tree of folders.

/// One level of the model tree: a folder, a model, or a model that also has models under it.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeNode {
    /// The name's last segment.
    pub label: String,
    /// The full name up to this level.
    pub path: String,
    /// The index of the model with exactly this name, when there is one.
    pub model: Option<usize>,
    pub children: Vec<TreeNode>,
}

/// The tree of `names`, siblings in the order their first model came.
pub fn model_tree<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<TreeNode> {
    let mut roots: Vec<TreeNode> = Vec::new();
    for (index, name) in names.into_iter().enumerate() {
        let mut level = &mut roots;
        let mut path = String::new();
        let segments: Vec<&str> = name.split('/').filter(|s| !s.is_empty()).collect();
        for (depth, segment) in segments.iter().enumerate() {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(segment);
            let position = match level.iter().position(|n| n.label == *segment) {
                Some(position) => position,
                None => {
                    level.push(TreeNode {
                        label: segment.to_string(),
                        path: path.clone(),
                        model: None,
                        children: Vec::new(),
                    });
                    level.len() - 1
                }
            };
            if depth == segments.len() - 1 {
                level[position].model = Some(index);
            }
            level = &mut level[position].children;
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(nodes: &[TreeNode]) -> Vec<String> {
        nodes
            .iter()
            .map(|n| {
                let model = n.model.map(|i| format!("#{i}")).unwrap_or_default();
                if n.children.is_empty() {
                    format!("{}{model}", n.label)
                } else {
                    format!("{}{model}[{}]", n.label, shape(&n.children).join(","))
                }
            })
            .collect()
    }

    #[test]
    fn names_nest_by_slash_and_keep_first_seen_order() {
        let tree = model_tree([
            "main",
            "building a/level 1/walls",
            "building a/level 1",
            "building a/roof",
            "site",
        ]);
        assert_eq!(
            shape(&tree),
            ["main#0", "building a[level 1#2[walls#1],roof#3]", "site#4"]
        );
        assert_eq!(
            tree[1].children[0].children[0].path,
            "building a/level 1/walls"
        );
    }

    #[test]
    fn empty_segments_are_ignored() {
        let tree = model_tree(["a//b"]);
        assert_eq!(shape(&tree), ["a[b#0]"]);
    }
}

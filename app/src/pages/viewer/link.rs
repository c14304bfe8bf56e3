//! A view as a link: the camera, the section box, what is hidden or isolated, the selected
//! element and the open comment thread, kept in the address's fragment
//! (`#view=…&section=…&hide=…&select=…&thread=…`), so a copied link reopens the same view.
//! Threads and saved views keep their view in the same form. The address's fragment never
//! reaches the server.

// Only the browser reads and writes the address; the server build keeps the code for its tests.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

use super::visibility::Shown;

/// The section box as percentages of the model's extent: (from, to) along X, Y and Z.
pub type SectionRanges = [(f32, f32); 3];

/// Everything a link restores.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewLink {
    /// The camera in `Orbit::to_param`'s form; the viewer checks it.
    pub camera: Option<String>,
    pub section: Option<SectionRanges>,
    pub shown: Shown,
    /// The selected element.
    pub selected: Option<String>,
    /// The comment thread open beside the view (the link in a comment's e-mail names it).
    pub thread: Option<String>,
}

impl ViewLink {
    /// The fragment, without its `#`.
    pub fn to_fragment(&self) -> String {
        let mut parts = Vec::new();
        if let Some(camera) = &self.camera {
            parts.push(format!("view={camera}"));
        }
        if let Some(section) = self.section {
            let numbers: Vec<String> = section
                .iter()
                .flat_map(|(from, to)| [from, to])
                .map(|n| format!("{n}"))
                .collect();
            parts.push(format!("section={}", numbers.join(",")));
        }
        let list = |items: &[String]| {
            items
                .iter()
                .map(|item| encode(item))
                .collect::<Vec<_>>()
                .join(",")
        };
        let shown = &self.shown;
        if !shown.hidden_nodes.is_empty() {
            parts.push(format!("hide={}", list(&shown.hidden_nodes)));
        }
        if let Some(nodes) = &shown.isolated_nodes {
            parts.push(format!("isolate={}", list(nodes)));
        }
        if !shown.hidden_categories.is_empty() {
            parts.push(format!(
                "hide-categories={}",
                list(&shown.hidden_categories)
            ));
        }
        if let Some(category) = &shown.isolated_category {
            parts.push(format!("category={}", encode(category)));
        }
        if shown.spaces {
            parts.push("spaces=1".into());
        }
        if let Some(selected) = &self.selected {
            parts.push(format!("select={}", encode(selected)));
        }
        if let Some(thread) = &self.thread {
            parts.push(format!("thread={}", encode(thread)));
        }
        parts.join("&")
    }

    /// Reads a fragment (with or without its `#`); what it cannot read it leaves at the default.
    pub fn parse(fragment: &str) -> ViewLink {
        let mut link = ViewLink::default();
        let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
        for part in fragment.split('&') {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            let list = || -> Vec<String> {
                value
                    .split(',')
                    .filter(|item| !item.is_empty())
                    .map(decode)
                    .collect()
            };
            match key {
                "view" if !value.is_empty() => link.camera = Some(value.to_string()),
                "section" => link.section = parse_section(value),
                "hide" => link.shown.hidden_nodes = list(),
                "isolate" => link.shown.isolated_nodes = Some(list()),
                "hide-categories" => link.shown.hidden_categories = list(),
                "category" if !value.is_empty() => {
                    link.shown.isolated_category = Some(decode(value))
                }
                "spaces" => link.shown.spaces = value == "1",
                "select" if !value.is_empty() => link.selected = Some(decode(value)),
                "thread" if !value.is_empty() => link.thread = Some(decode(value)),
                _ => {}
            }
        }
        link
    }
}

/// Six percentages, each pair from ≤ to, within 0–100.
fn parse_section(value: &str) -> Option<SectionRanges> {
    let numbers: Vec<f32> = value
        .split(',')
        .map(|n| n.parse::<f32>())
        .collect::<Result<_, _>>()
        .ok()?;
    let numbers: [f32; 6] = numbers.try_into().ok()?;
    let ranges = [0, 1, 2].map(|axis| (numbers[axis * 2], numbers[axis * 2 + 1]));
    ranges
        .iter()
        .all(|(from, to)| (0.0..=100.0).contains(from) && (0.0..=100.0).contains(to) && from < to)
        .then_some(ranges)
}

/// Percent-encodes everything but unreserved characters, so names with `&`, `,` or `=` survive.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_survives_its_link() {
        let link = ViewLink {
            camera: Some("1.000,2.000,3.000,40.000,0.7854,0.6155".into()),
            section: Some([(0.0, 100.0), (10.0, 90.0), (0.0, 55.5)]),
            shown: Shown {
                hidden_categories: vec!["Walls & Doors".into(), "IfcSpace".into()],
                isolated_category: None,
                hidden_nodes: vec!["abc".into(), "d,e".into()],
                isolated_nodes: Some(vec!["storey-1".into()]),
                spaces: true,
            },
            selected: Some("wall 1".into()),
            thread: Some("th1234abcd".into()),
        };
        let fragment = link.to_fragment();
        assert!(fragment.starts_with("view=1.000,2.000"));
        assert_eq!(ViewLink::parse(&format!("#{fragment}")), link);
    }

    #[test]
    fn old_camera_links_still_open_and_bad_parts_are_ignored() {
        let link = ViewLink::parse("#view=1,2,3,4,5,6");
        assert_eq!(link.camera.as_deref(), Some("1,2,3,4,5,6"));
        assert_eq!(link.shown, Shown::default());
        let bad = ViewLink::parse("section=0,100,50,20,0,100&spaces=yes&nonsense&x=1");
        assert_eq!(bad, ViewLink::default());
        assert_eq!(ViewLink::parse("").to_fragment(), "");
    }

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(encode("Ground floor, west"), "Ground%20floor%2C%20west");
        assert_eq!(decode(&encode("Étage 1 & 2")), "Étage 1 & 2");
        assert_eq!(decode("100%"), "100%");
    }
}

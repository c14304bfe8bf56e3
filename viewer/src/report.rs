//! What a scene build had to leave out. Bad or incomplete data is skipped and counted, never fatal:
//! a half-loaded model, or one with a broken object, still shows everything else.

use crate::objects::{ArrayError, Missing};

/// Counts of what was skipped while building a scene.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// Geometry left out because its data is broken (index out of range, odd lengths, non-numbers,
    /// non-finite results, unusable transforms).
    pub malformed: usize,
    /// References to objects that are not in the source (yet): normal while still loading.
    pub missing: usize,
    /// References back to an object already on the path from the root, not followed.
    pub cycles: usize,
    /// The first few problems in words, for logs.
    pub messages: Vec<String>,
    /// Meshes drawn as their bounding boxes, past the build's triangle budget.
    pub boxed: usize,
    /// Why the build stopped before the end of the model (a size or time limit it was given),
    /// if it did: the scene then holds only what was drawn before.
    pub stopped: Option<String>,
}

/// How many messages a report keeps; the counts keep counting.
const MAX_MESSAGES: usize = 20;

impl BuildReport {
    /// All problems together.
    pub fn problems(&self) -> usize {
        self.malformed + self.missing + self.cycles
    }

    pub(crate) fn record(&mut self, skip: Skip, object_id: Option<&str>) {
        let message = match &skip {
            Skip::Missing(id) => {
                self.missing += 1;
                format!("object {id} has not arrived")
            }
            Skip::Malformed(why) => {
                self.malformed += 1;
                format!("skipped {}: {why}", object_id.unwrap_or("an object"))
            }
            Skip::Cycle(id) => {
                self.cycles += 1;
                format!("reference cycle back to {id}")
            }
        };
        if self.messages.len() < MAX_MESSAGES {
            self.messages.push(message);
        }
    }
}

/// Why one piece of geometry or one reference was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
    Missing(String),
    Malformed(String),
    Cycle(String),
}

impl Skip {
    pub(crate) fn malformed(why: impl Into<String>) -> Self {
        Skip::Malformed(why.into())
    }
}

impl From<Missing<'_>> for Skip {
    fn from(Missing(id): Missing<'_>) -> Self {
        Skip::Missing(id.to_owned())
    }
}

impl From<ArrayError<'_>> for Skip {
    fn from(error: ArrayError<'_>) -> Self {
        match error {
            ArrayError::Missing(id) => Skip::Missing(id.to_owned()),
            ArrayError::NotAnArray => Skip::malformed("expected an array"),
            ArrayError::NotANumber => Skip::malformed("expected numbers"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_each_kind_and_keeps_a_few_messages() {
        let mut report = BuildReport::default();
        for _ in 0..30 {
            report.record(Skip::malformed("bad"), Some("m1"));
        }
        report.record(Skip::Missing("x".into()), None);
        report.record(Skip::Cycle("y".into()), None);
        assert_eq!(
            (report.malformed, report.missing, report.cycles),
            (30, 1, 1)
        );
        assert_eq!(report.problems(), 32);
        assert_eq!(report.messages.len(), MAX_MESSAGES);
        assert_eq!(report.messages[0], "skipped m1: bad");
    }

    #[test]
    fn converts_array_errors() {
        assert_eq!(
            Skip::from(ArrayError::Missing("c")),
            Skip::Missing("c".into())
        );
        assert!(matches!(
            Skip::from(ArrayError::NotANumber),
            Skip::Malformed(_)
        ));
    }
}

//! A preview drawn in a `fleck sandbox preview` child: the worker streams the tree's stored
//! objects to it as they are read (counting them against the limits, so the worker never holds
//! the tree), the child builds the scene, draws it with its own GL context and answers the PNGs.

use std::io::{BufReader, BufWriter, Read, Write};
use std::time::{Duration, Instant};

use fleck_core::objects::tree::Rows;
use fleck_viewer::headless::Headless;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWriteExt, BufReader as AsyncBufReader, BufWriter as AsyncBufWriter};

use super::{images_of, scene_of, too_large, took_too_long, PreviewLimits, Reading};
use crate::runtime::JobError;
use crate::sandbox::{deadline_for, frames, ChildLimits, Ended};

#[derive(Serialize, Deserialize)]
struct Request {
    root: String,
    max_objects: usize,
    max_primitives: usize,
    triangle_budget: usize,
    time_limit_ms: u64,
}

#[derive(Serialize, Deserialize)]
enum Answer {
    /// One PNG frame follows for each name.
    Drawn { angles: Vec<String> },
    /// Retrying cannot help.
    Refused { why: String },
    /// Another attempt might draw it.
    Failed { why: String },
}

pub(super) async fn draw_in_child(
    child: &ChildLimits,
    mut rows: Rows,
    mut reading: Reading,
    root: &str,
) -> Result<Vec<(String, Vec<u8>)>, JobError> {
    let limit = reading.limits.time_limit;
    let request = Request {
        root: root.to_string(),
        max_objects: reading.limits.max_objects,
        max_primitives: reading.limits.max_primitives,
        triangle_budget: reading.limits.triangle_budget,
        time_limit_ms: limit.as_millis() as u64,
    };
    let talk = |stdin, stdout| async move {
        let mut stdin = AsyncBufWriter::new(stdin);
        frames::send_json(&mut stdin, &request).await?;
        loop {
            let chunk = match rows.try_next().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => return Ok(Err(JobError::Retry(e.to_string()))),
            };
            if let Err(refused) = reading.count(&chunk) {
                return Ok(Err(refused));
            }
            for (_, json) in &chunk {
                frames::send(&mut stdin, json.as_bytes()).await?;
            }
        }
        frames::send(&mut stdin, b"").await?;
        stdin.flush().await?;
        drop(stdin);
        let mut stdout = AsyncBufReader::new(stdout);
        Ok(match frames::receive_json(&mut stdout).await? {
            Answer::Drawn { angles } => {
                let mut images = Vec::with_capacity(angles.len());
                for angle in angles {
                    images.push((angle, frames::receive(&mut stdout).await?));
                }
                Ok(images)
            }
            Answer::Refused { why } => Err(JobError::Permanent(why)),
            Answer::Failed { why } => Err(JobError::Retry(why)),
        })
    };
    match child.exchange("preview", deadline_for(limit), talk).await {
        Ok(answer) => answer,
        Err(Ended::TimedOut | Ended::CpuTime) => Err(took_too_long(limit)),
        Err(Ended::OutOfMemory) => Err(too_large(format!(
            "drawing it needs more memory than the limit of {} MiB",
            child.memory / (1024 * 1024)
        ))),
        Err(Ended::StackOverflow) => Err(too_large("it is nested too deeply")),
        Err(Ended::Crashed) => Err(JobError::Retry("the renderer crashed".into())),
    }
}

/// The child's side: reads the request and the objects from `input`, writes the answer to
/// `output`.
pub fn serve(input: impl Read, output: impl Write) -> std::io::Result<()> {
    let (mut input, mut output) = (BufReader::new(input), BufWriter::new(output));
    let request: Request = frames::read_json(&mut input)?;
    let deadline = Instant::now() + Duration::from_millis(request.time_limit_ms);
    let limits = PreviewLimits {
        max_objects: request.max_objects,
        max_primitives: request.max_primitives,
        triangle_budget: request.triangle_budget,
        ..PreviewLimits::default()
    };
    // Each object is parsed as it is read, never held twice.
    let mut broken = None;
    let objects = std::iter::from_fn(|| match frames::read(&mut input) {
        Ok(object) if object.is_empty() => None,
        Ok(object) => Some(object),
        Err(e) => {
            broken = Some(e);
            None
        }
    });
    let scene = scene_of(objects, &request.root, limits, deadline);
    if let Some(broken) = broken {
        return Err(broken);
    }
    let answer = match scene {
        Err(refused) => Err(Answer::Refused {
            why: refused.to_string(),
        }),
        Ok(scene) => match Headless::new() {
            Err(e) => Err(Answer::Refused {
                why: format!("no headless GL: previews cannot be drawn ({e})"),
            }),
            Ok(headless) => images_of(&headless, &scene).map_err(|why| Answer::Failed { why }),
        },
    };
    match answer {
        Err(answer) => frames::write_json(&mut output, &answer)?,
        Ok(images) => {
            let angles = images.iter().map(|(angle, _)| angle.clone()).collect();
            frames::write_json(&mut output, &Answer::Drawn { angles })?;
            for (_, png) in images {
                frames::write(&mut output, &png)?;
            }
        }
    }
    output.flush()
}

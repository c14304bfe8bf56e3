//! A conversion in a `fleck sandbox convert` child: the worker sends the file and the material
//! libraries it names, the child answers with the objects or the reason it could not convert.

use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::time::Duration;

use fleck_core::objects::NewObject;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWriteExt, BufReader as AsyncBufReader, BufWriter as AsyncBufWriter};

use super::{convert, took_too_long, Bounds, Conversion, Failure};
use crate::sandbox::{deadline_for, frames, ChildLimits, Ended};

#[derive(Serialize, Deserialize)]
struct Request {
    file_name: String,
    file_type: String,
    time_limit_ms: u64,
    /// The names of the library frames that follow the file's.
    libraries: Vec<String>,
}

#[derive(Serialize, Deserialize)]
enum Answer {
    Failed {
        reason: String,
    },
    /// `objects` pairs of frames follow: an [`ObjectHead`] and the object's JSON text.
    Converted {
        parser: String,
        warnings: Vec<String>,
        root: String,
        objects: usize,
    },
}

#[derive(Serialize, Deserialize)]
struct ObjectHead {
    id: String,
    speckle_type: String,
    total_children_count: Option<i64>,
}

/// What an import is converted from.
pub struct Source {
    pub file_name: String,
    pub file_type: String,
    pub bytes: Vec<u8>,
    pub libraries: HashMap<String, Vec<u8>>,
}

/// Converts `source` in a child within `limit`; how a child that gave no answer ended becomes
/// the reason the import failed.
pub async fn convert_in_child(
    child: &ChildLimits,
    limit: Duration,
    source: Source,
) -> Result<Conversion, Failure> {
    let request = Request {
        file_name: source.file_name,
        file_type: source.file_type,
        time_limit_ms: limit.as_millis() as u64,
        libraries: source.libraries.keys().cloned().collect(),
    };
    let talk = |stdin, stdout| async move {
        let mut stdin = AsyncBufWriter::new(stdin);
        frames::send_json(&mut stdin, &request).await?;
        frames::send(&mut stdin, &source.bytes).await?;
        for name in &request.libraries {
            frames::send(&mut stdin, &source.libraries[name]).await?;
        }
        stdin.flush().await?;
        drop(stdin);
        let mut stdout = AsyncBufReader::new(stdout);
        match frames::receive_json(&mut stdout).await? {
            Answer::Failed { reason } => Ok(Err(Failure(reason))),
            Answer::Converted {
                parser,
                warnings,
                root,
                objects,
            } => {
                // The count is the child's word: room grows with the objects that come.
                let mut list = Vec::with_capacity(objects.min(super::MAX_OBJECTS));
                for _ in 0..objects {
                    let head: ObjectHead = frames::receive_json(&mut stdout).await?;
                    let data = String::from_utf8(frames::receive(&mut stdout).await?)
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                    list.push(NewObject {
                        id: head.id,
                        speckle_type: head.speckle_type,
                        total_children_count: head.total_children_count,
                        data,
                    });
                }
                Ok(Ok(Conversion {
                    objects: list,
                    root,
                    warnings,
                    parser,
                }))
            }
        }
    };
    match child.exchange("convert", deadline_for(limit), talk).await {
        Ok(answer) => answer,
        Err(Ended::TimedOut | Ended::CpuTime) => Err(took_too_long(limit)),
        Err(Ended::OutOfMemory) => Err(Failure(format!(
            "Converting needed more memory than the limit of {} MiB; the file may be too large or too complex.",
            child.memory / (1024 * 1024)
        ))),
        Err(Ended::StackOverflow) => Err(Failure(
            "The file is nested too deeply to convert.".into(),
        )),
        Err(Ended::Crashed) => Err(super::converter_broke()),
    }
}

/// The child's side: reads one request from `input`, converts, writes the answer to `output`.
pub fn serve(input: impl Read, output: impl Write) -> std::io::Result<()> {
    let (mut input, mut output) = (BufReader::new(input), BufWriter::new(output));
    let request: Request = frames::read_json(&mut input)?;
    let bytes = frames::read(&mut input)?;
    let mut libraries = HashMap::new();
    for name in request.libraries {
        let library = frames::read(&mut input)?;
        libraries.insert(name, library);
    }
    #[cfg(feature = "faults")]
    crate::sandbox::faults::strike(&bytes);
    let bounds = Bounds::after(Duration::from_millis(request.time_limit_ms));
    let converted = convert(
        &request.file_name,
        &request.file_type,
        &bytes,
        &libraries,
        bounds,
    );
    drop((bytes, libraries));
    match converted {
        Err(Failure(reason)) => frames::write_json(&mut output, &Answer::Failed { reason })?,
        Ok(converted) => {
            let conversion = Conversion::from(converted);
            frames::write_json(
                &mut output,
                &Answer::Converted {
                    parser: conversion.parser,
                    warnings: conversion.warnings,
                    root: conversion.root,
                    objects: conversion.objects.len(),
                },
            )?;
            for object in conversion.objects {
                let head = ObjectHead {
                    id: object.id,
                    speckle_type: object.speckle_type,
                    total_children_count: object.total_children_count,
                };
                frames::write_json(&mut output, &head)?;
                frames::write(&mut output, object.data.as_bytes())?;
            }
        }
    }
    output.flush()
}

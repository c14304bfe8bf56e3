//! How object JSON is stored: zstd-compressed, each object on its own so any one can be read
//! alone. Objects are small (typically ~1 KB), which compresses poorly by itself, so each project
//! gets a dictionary trained on its first large upload; with it, object JSON shrinks to about a
//! fifth of its size.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zstd::dict::{DecoderDictionary, EncoderDictionary};

use super::{NewObject, ObjectStore, PackedObject};
use crate::error::{Context, Error, Result};

/// Objects a batch needs before it trains the project's dictionary.
const TRAIN_MIN_OBJECTS: usize = 100;
/// Objects sampled for training, at most.
const TRAIN_SAMPLES: usize = 2000;
/// Trained dictionaries are this large at most.
const DICTIONARY_BYTES: usize = 16 * 1024;
/// Compression levels: with a dictionary the fastest level already compresses as well as any.
const LEVEL_WITH_DICTIONARY: i32 = 1;
const LEVEL_ALONE: i32 = 3;
/// Projects whose dictionaries stay in memory, at most.
const CACHED_PROJECTS: usize = 256;

/// A project's dictionary, prepared for both directions.
pub struct Dictionary {
    encoder: EncoderDictionary<'static>,
    decoder: DecoderDictionary<'static>,
}

impl Dictionary {
    fn new(raw: &[u8]) -> Self {
        Dictionary {
            encoder: EncoderDictionary::copy(raw, LEVEL_WITH_DICTIONARY),
            decoder: DecoderDictionary::copy(raw),
        }
    }
}

/// What is known of a project's dictionary.
#[derive(Clone)]
enum Known {
    Ready(Arc<Dictionary>),
    /// Training failed (samples too uniform or too few): its objects go without one.
    Untrainable,
}

/// The dictionaries of recently used projects.
#[derive(Default)]
pub struct Codec {
    known: Mutex<HashMap<String, Known>>,
}

impl Codec {
    fn cached(&self, project_id: &str) -> Option<Known> {
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(project_id)
            .cloned()
    }

    fn remember(&self, project_id: &str, known: Known) {
        let mut map = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHED_PROJECTS {
            map.clear();
        }
        map.insert(project_id.to_string(), known);
    }

    async fn load(
        &self,
        store: &dyn ObjectStore,
        project_id: &str,
    ) -> Result<Option<Arc<Dictionary>>> {
        let Some(raw) = store.dictionary(project_id).await? else {
            return Ok(None);
        };
        let dictionary = Arc::new(Dictionary::new(&raw));
        self.remember(project_id, Known::Ready(dictionary.clone()));
        Ok(Some(dictionary))
    }

    /// The dictionary to compress `objects` with: the project's, trained from them when it has
    /// none yet and they are enough; `None` to compress them alone.
    pub async fn dictionary(
        &self,
        store: &dyn ObjectStore,
        project_id: &str,
        objects: &[NewObject],
    ) -> Result<Option<Arc<Dictionary>>> {
        match self.cached(project_id) {
            Some(Known::Ready(dictionary)) => return Ok(Some(dictionary)),
            Some(Known::Untrainable) => return Ok(None),
            None => {}
        }
        if let Some(dictionary) = self.load(store, project_id).await? {
            return Ok(Some(dictionary));
        }
        if objects.len() < TRAIN_MIN_OBJECTS {
            return Ok(None);
        }
        let step = objects.len().div_ceil(TRAIN_SAMPLES);
        let samples: Vec<Vec<u8>> = objects
            .iter()
            .step_by(step)
            .map(|o| o.data.as_bytes().to_vec())
            .collect();
        let trained = tokio::task::spawn_blocking(move || {
            zstd::dict::from_samples(&samples, DICTIONARY_BYTES)
        })
        .await
        .map_err(|e| Error::backend("training an object dictionary", e))?;
        match trained {
            // Another upload may have saved one meanwhile: everyone uses the one kept.
            Ok(raw) => {
                let kept = store.save_dictionary(project_id, &raw).await?;
                let dictionary = Arc::new(Dictionary::new(&kept));
                self.remember(project_id, Known::Ready(dictionary.clone()));
                Ok(Some(dictionary))
            }
            Err(e) => {
                tracing::debug!(error = %e, project_id, "no object dictionary for this project");
                self.remember(project_id, Known::Untrainable);
                Ok(None)
            }
        }
    }

    /// The project's dictionary when `needed` (some object was compressed with it).
    pub async fn for_reading(
        &self,
        store: &dyn ObjectStore,
        project_id: &str,
        needed: bool,
    ) -> Result<Option<Arc<Dictionary>>> {
        if !needed {
            return Ok(None);
        }
        if let Some(Known::Ready(dictionary)) = self.cached(project_id) {
            return Ok(Some(dictionary));
        }
        self.load(store, project_id)
            .await?
            .map(Some)
            .ok_or_else(|| {
                Error::backend(
                    format!("reading objects of project {project_id}"),
                    "their compression dictionary is missing",
                )
            })
    }
}

/// Compresses objects for storage.
pub fn pack(objects: Vec<NewObject>, dictionary: Option<&Dictionary>) -> Result<Vec<PackedObject>> {
    let mut compressor = match dictionary {
        Some(d) => zstd::bulk::Compressor::with_prepared_dictionary(&d.encoder),
        None => zstd::bulk::Compressor::new(LEVEL_ALONE),
    }
    .context(|| "preparing object compression".into())?;
    let now = crate::projects::now();
    objects
        .into_iter()
        .map(|o| {
            Ok(PackedObject {
                data: compressor
                    .compress(o.data.as_bytes())
                    .context(|| format!("compressing object {}", o.id))?,
                json_bytes: o.data.len() as i64,
                dictionary: dictionary.is_some(),
                id: o.id,
                speckle_type: o.speckle_type,
                total_children_count: o.total_children_count,
                created_at: now,
            })
        })
        .collect()
}

/// Decompresses stored objects; one per batch of reads, since setting one up costs more than
/// decompressing a small object.
pub struct Unpacker<'a> {
    plain: zstd::bulk::Decompressor<'a>,
    with_dictionary: Option<zstd::bulk::Decompressor<'a>>,
}

impl<'a> Unpacker<'a> {
    pub fn new(dictionary: Option<&'a Dictionary>) -> Result<Self> {
        let what = || "preparing object decompression".to_string();
        Ok(Unpacker {
            plain: zstd::bulk::Decompressor::new().context(what)?,
            with_dictionary: dictionary
                .map(|d| zstd::bulk::Decompressor::with_prepared_dictionary(&d.decoder))
                .transpose()
                .context(what)?,
        })
    }

    /// The JSON text of a stored object, compressed with the dictionary or not.
    pub fn unpack(&mut self, data: &[u8], with_dictionary: bool) -> Result<String> {
        let size = zstd::zstd_safe::get_frame_content_size(data)
            .ok()
            .flatten()
            .ok_or_else(|| Error::backend("reading an object", "its stored data is corrupt"))?;
        let decompressor = match (with_dictionary, &mut self.with_dictionary) {
            (false, _) => &mut self.plain,
            (true, Some(decompressor)) => decompressor,
            (true, None) => {
                return Err(Error::backend(
                    "reading an object",
                    "it needs its project's dictionary",
                ))
            }
        };
        let bytes = decompressor
            .decompress(data, size as usize)
            .context(|| "decompressing an object".into())?;
        String::from_utf8(bytes).context(|| "reading an object's JSON".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(i: usize) -> NewObject {
        NewObject {
            id: format!("{i:032x}"),
            speckle_type: "Objects.Geometry.Mesh".into(),
            total_children_count: None,
            data: format!(
                r#"{{"id":"{i:032x}","speckle_type":"Objects.Geometry.Mesh","units":"m","vertices":[{},{},{}.25],"faces":[3,0,1,2],"name":"mesh {i}"}}"#,
                i * 7,
                i % 13,
                i / 3
            ),
        }
    }

    #[test]
    fn objects_come_back_exactly_with_or_without_a_dictionary() {
        let objects: Vec<NewObject> = (0..500).map(object).collect();
        let samples: Vec<Vec<u8>> = objects.iter().map(|o| o.data.as_bytes().to_vec()).collect();
        let raw = zstd::dict::from_samples(&samples, DICTIONARY_BYTES).unwrap();
        let dictionary = Dictionary::new(&raw);
        for with in [None, Some(&dictionary)] {
            let packed = pack(objects.clone(), with).unwrap();
            let mut unpacker = Unpacker::new(with).unwrap();
            for (o, p) in objects.iter().zip(&packed) {
                assert_eq!(p.dictionary, with.is_some());
                assert_eq!(p.json_bytes as usize, o.data.len());
                assert_eq!(unpacker.unpack(&p.data, p.dictionary).unwrap(), o.data);
            }
        }
    }

    #[test]
    fn corrupt_data_is_an_error_not_a_panic() {
        assert!(Unpacker::new(None)
            .unwrap()
            .unpack(b"not zstd", false)
            .is_err());
    }
}

//! A bundle's parquet files read into a [`Bundle`] and written from one. Files are found by
//! their suffix (the base name before it is the producer's choice), columns by name, and any
//! damage — a missing table or column, a column of the wrong type, a file that is not parquet
//! or is cut short — is a [`BundleError`] naming the file.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Float64Array, Int32Array, RecordBatch, StringArray,
};
use arrow_schema::{Field, Schema};
use bytes::Bytes;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::{Bundle, BundleError, GeometryRow, Node, Relation, Value, SCHEMA_VERSION};

const OBJECTS: &str = ".eav.objects.parquet";
const PATHS: &str = ".eav.paths.parquet";
const VALUES: &str = ".eav.eav.parquet";
const NODES: &str = ".envelope.nodes.parquet";
const RELATIONS: &str = ".envelope.relations.parquet";
const META: &str = ".envelope.meta.parquet";
const GEOMETRIES: &str = ".geometries.parquet";

/// Reads a bundle from its files, each a name and its bytes. Each file is converted one record
/// batch at a time, so that its decoded columns are never held whole beside the rows made of them.
pub fn read(files: &[(String, Bytes)]) -> Result<Bundle, BundleError> {
    let mut bundle = Bundle {
        objects: read_table(required(files, OBJECTS)?, read_objects)?,
        paths: read_table(required(files, PATHS)?, read_paths)?,
        values: read_table(required(files, VALUES)?, read_values)?,
        nodes: read_table(required(files, NODES)?, read_nodes)?,
        relations: read_table(required(files, RELATIONS)?, read_relations)?,
        geometries: Vec::new(),
    };
    // Geometry may come in shards (`….geometries.parquet`, `….geometries.1.parquet`, …).
    for (name, bytes) in files {
        if name.contains(".geometries") && name.ends_with(".parquet") {
            let shard = read_table((name, bytes), read_geometries)?;
            bundle.geometries.extend(shard);
        }
    }
    Ok(bundle)
}

/// The file whose name ends in `suffix`.
fn required<'a>(
    files: &'a [(String, Bytes)],
    suffix: &str,
) -> Result<(&'a str, &'a Bytes), BundleError> {
    files
        .iter()
        .find(|(name, _)| name.ends_with(suffix))
        .map(|(name, bytes)| (name.as_str(), bytes))
        .ok_or_else(|| BundleError::new(format!("the bundle has no *{suffix} file")))
}

/// Every row of a parquet file, converted by `convert` a record batch at a time.
fn read_table<T>(
    (name, bytes): (&str, &Bytes),
    convert: fn(&Table) -> Result<Vec<T>, BundleError>,
) -> Result<Vec<T>, BundleError> {
    let fail = |e: &dyn std::fmt::Display| {
        BundleError::new(format!("{name} is not a readable parquet file: {e}"))
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes.clone())
        .and_then(|builder| builder.build())
        .map_err(|e| fail(&e))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| fail(&e))?;
        rows.extend(convert(&Table { name, batch })?);
    }
    Ok(rows)
}

fn read_objects(t: &Table) -> Result<Vec<(i32, String)>, BundleError> {
    zip2(t.ints("object_index")?, t.texts("application_id")?)
        .map(|(k, id)| {
            let k = need(k, t, "object_index")?;
            // An object without an application id is known by its index, as readers do.
            Ok((k, id.unwrap_or_else(|| k.to_string())))
        })
        .collect()
}

fn read_paths(t: &Table) -> Result<Vec<(i32, String)>, BundleError> {
    zip2(t.ints("path_index")?, t.texts("path")?)
        .map(|(k, p)| Ok((need(k, t, "path_index")?, need(p, t, "path")?)))
        .collect()
}

fn read_geometries(t: &Table) -> Result<Vec<GeometryRow>, BundleError> {
    zip4(
        t.ints("geometryIndex")?,
        t.blobs("content")?,
        t.texts("id")?,
        t.texts("type")?,
    )
    .map(|(index, content, id, kind)| {
        Ok(GeometryRow {
            index: need(index, t, "geometryIndex")?,
            content: need(content, t, "content")?,
            id: id.unwrap_or_default(),
            kind: kind.unwrap_or_default(),
        })
    })
    .collect()
}

fn read_values(t: &Table) -> Result<Vec<Value>, BundleError> {
    let columns = (
        t.ints("object_index")?,
        t.ints("path_index")?,
        t.texts("value_string")?,
        t.numbers("value_double")?,
        t.flags("value_boolean")?,
        t.optional_texts("unit")?,
    );
    let (objects, paths, texts, numbers, flags, units) = columns;
    let mut units = units.into_iter();
    zip4(zip2(objects, paths), texts, numbers, flags)
        .map(|((object, path), text, number, boolean)| {
            Ok(Value {
                object: need(object, t, "object_index")?,
                path: need(path, t, "path_index")?,
                text,
                number,
                boolean,
                unit: units.next().flatten(),
            })
        })
        .collect()
}

fn read_nodes(t: &Table) -> Result<Vec<Node>, BundleError> {
    let ids = t.ints("id")?;
    let kinds = t.ints("kind")?;
    let mut names = t.optional_texts("name")?.into_iter();
    let mut def_refs = t.optional_ints("def_ref")?.into_iter();
    let mut transforms = t.optional_texts("transform")?.into_iter();
    let mut units = t.optional_texts("units")?.into_iter();
    let mut subtypes = t.optional_texts("subtype")?.into_iter();
    let mut argbs = t.optional_ints("argb")?.into_iter();
    let mut opacities = t.optional_numbers("opacity")?.into_iter();
    let mut metalness = t.optional_numbers("metalness")?.into_iter();
    let mut roughness = t.optional_numbers("roughness")?.into_iter();
    let mut emissive = t.optional_ints("emissive")?.into_iter();
    zip2(ids, kinds)
        .map(|(id, kind)| {
            Ok(Node {
                id: need(id, t, "id")?,
                kind: need(kind, t, "kind")?,
                name: names.next().flatten(),
                def_ref: def_refs.next().flatten(),
                transform: transforms.next().flatten(),
                units: units.next().flatten(),
                subtype: subtypes.next().flatten(),
                argb: argbs.next().flatten(),
                opacity: opacities.next().flatten(),
                metalness: metalness.next().flatten(),
                roughness: roughness.next().flatten(),
                emissive: emissive.next().flatten(),
            })
        })
        .collect()
}

fn read_relations(t: &Table) -> Result<Vec<Relation>, BundleError> {
    let mut ords = t.optional_ints("ord")?.into_iter();
    zip4(
        t.ints("rel")?,
        t.ints("src")?,
        t.ints("dst")?,
        std::iter::repeat(()),
    )
    .map(|(rel, src, dst, ())| {
        Ok(Relation {
            rel: need(rel, t, "rel")?,
            src: need(src, t, "src")?,
            dst: need(dst, t, "dst")?,
            ord: ords.next().flatten(),
        })
    })
    .collect()
}

/// A value a column must have in every row.
fn need<T>(value: Option<T>, table: &Table, column: &str) -> Result<T, BundleError> {
    value.ok_or_else(|| table.error(format!("column {column} has an empty row")))
}

fn zip2<A, B>(a: Vec<A>, b: Vec<B>) -> impl Iterator<Item = (A, B)> {
    a.into_iter().zip(b)
}

fn zip4<A, B, C, D>(
    a: impl IntoIterator<Item = A>,
    b: impl IntoIterator<Item = B>,
    c: impl IntoIterator<Item = C>,
    d: impl IntoIterator<Item = D>,
) -> impl Iterator<Item = (A, B, C, D)> {
    a.into_iter()
        .zip(b)
        .zip(c)
        .zip(d)
        .map(|(((a, b), c), d)| (a, b, c, d))
}

/// One record batch of a parquet file, named after its file.
struct Table<'a> {
    name: &'a str,
    batch: RecordBatch,
}

impl Table<'_> {
    fn error(&self, reason: String) -> BundleError {
        BundleError::new(format!("{}: {reason}", self.name))
    }

    /// A column's values converted by `cell`, or an error naming the column and its type.
    fn column<T>(
        &self,
        column: &str,
        required: bool,
        cell: impl Fn(&ArrayRef, usize) -> Option<Option<T>>,
    ) -> Result<Vec<Option<T>>, BundleError> {
        let rows = self.batch.num_rows();
        let Some(piece) = self.batch.column_by_name(column) else {
            if required && rows > 0 {
                return Err(self.error(format!("it has no column {column}")));
            }
            return Ok((0..rows).map(|_| None).collect());
        };
        let mut values = Vec::with_capacity(rows);
        for row in 0..piece.len() {
            let value = cell(piece, row).ok_or_else(|| {
                self.error(format!(
                    "column {column} has the unexpected type {}",
                    piece.data_type()
                ))
            })?;
            values.push(value.filter(|_| piece.is_valid(row)));
        }
        Ok(values)
    }

    fn ints(&self, column: &str) -> Result<Vec<Option<i32>>, BundleError> {
        self.column(column, true, int_cell)
    }

    fn optional_ints(&self, column: &str) -> Result<Vec<Option<i32>>, BundleError> {
        self.column(column, false, int_cell)
    }

    fn numbers(&self, column: &str) -> Result<Vec<Option<f64>>, BundleError> {
        self.column(column, true, number_cell)
    }

    fn optional_numbers(&self, column: &str) -> Result<Vec<Option<f64>>, BundleError> {
        self.column(column, false, number_cell)
    }

    fn flags(&self, column: &str) -> Result<Vec<Option<bool>>, BundleError> {
        self.column(column, true, |a, row| {
            a.as_boolean_opt().map(|a| Some(a.value(row)))
        })
    }

    fn texts(&self, column: &str) -> Result<Vec<Option<String>>, BundleError> {
        self.column(column, true, text_cell)
    }

    fn optional_texts(&self, column: &str) -> Result<Vec<Option<String>>, BundleError> {
        self.column(column, false, text_cell)
    }

    fn blobs(&self, column: &str) -> Result<Vec<Option<Vec<u8>>>, BundleError> {
        self.column(column, true, |a, row| {
            if let Some(a) = a.as_binary_opt::<i32>() {
                Some(Some(a.value(row).to_vec()))
            } else if let Some(a) = a.as_binary_opt::<i64>() {
                Some(Some(a.value(row).to_vec()))
            } else {
                a.as_binary_view_opt().map(|a| Some(a.value(row).to_vec()))
            }
        })
    }
}

fn int_cell(a: &ArrayRef, row: usize) -> Option<Option<i32>> {
    if let Some(a) = a.as_primitive_opt::<Int32Type>() {
        return Some(Some(a.value(row)));
    }
    // Some writers widen indexes to 64 bits; a value beyond 32 bits is not an index.
    a.as_primitive_opt::<Int64Type>()
        .map(|a| i32::try_from(a.value(row)).ok())
}

fn number_cell(a: &ArrayRef, row: usize) -> Option<Option<f64>> {
    a.as_primitive_opt::<Float64Type>()
        .map(|a| Some(a.value(row)))
}

fn text_cell(a: &ArrayRef, row: usize) -> Option<Option<String>> {
    if let Some(a) = a.as_string_opt::<i32>() {
        Some(Some(a.value(row).to_string()))
    } else if let Some(a) = a.as_string_opt::<i64>() {
        Some(Some(a.value(row).to_string()))
    } else {
        a.as_string_view_opt()
            .map(|a| Some(a.value(row).to_string()))
    }
}

/// Writes a bundle as the files `receive3` reads, each named `{base}{suffix}`.
pub fn write(
    bundle: &Bundle,
    base: &str,
    producer: &str,
) -> Result<Vec<(String, Vec<u8>)>, BundleError> {
    let mut files = Vec::new();
    let mut add = |suffix: &str, columns: Vec<(&str, ArrayRef, bool)>| -> Result<(), BundleError> {
        files.push((format!("{base}{suffix}"), parquet_file(columns)?));
        Ok(())
    };
    add(
        META,
        vec![
            ("schema_version", strings([Some(SCHEMA_VERSION)]), false),
            ("produced_by", strings([Some(producer)]), false),
            (
                "producer_version",
                strings([Some(env!("CARGO_PKG_VERSION"))]),
                true,
            ),
        ],
    )?;
    add(
        OBJECTS,
        vec![
            (
                "object_index",
                ints(bundle.objects.iter().map(|o| Some(o.0))),
                false,
            ),
            (
                "application_id",
                strings(bundle.objects.iter().map(|o| Some(o.1.as_str()))),
                false,
            ),
        ],
    )?;
    add(
        PATHS,
        vec![
            (
                "path_index",
                ints(bundle.paths.iter().map(|p| Some(p.0))),
                false,
            ),
            (
                "path",
                strings(bundle.paths.iter().map(|p| Some(p.1.as_str()))),
                false,
            ),
        ],
    )?;
    let v = &bundle.values;
    add(
        VALUES,
        vec![
            (
                "object_index",
                ints(v.iter().map(|v| Some(v.object))),
                false,
            ),
            ("path_index", ints(v.iter().map(|v| Some(v.path))), false),
            (
                "value_string",
                strings(v.iter().map(|v| v.text.as_deref())),
                true,
            ),
            ("value_double", numbers(v.iter().map(|v| v.number)), true),
            (
                "value_boolean",
                Arc::new(BooleanArray::from(
                    v.iter().map(|v| v.boolean).collect::<Vec<_>>(),
                )),
                true,
            ),
            ("unit", strings(v.iter().map(|v| v.unit.as_deref())), true),
            (
                "internal_definition_name",
                strings(v.iter().map(|_| None)),
                true,
            ),
        ],
    )?;
    let n = &bundle.nodes;
    add(
        NODES,
        vec![
            ("id", ints(n.iter().map(|n| Some(n.id))), false),
            ("kind", ints(n.iter().map(|n| Some(n.kind))), false),
            ("name", strings(n.iter().map(|n| n.name.as_deref())), true),
            ("def_ref", ints(n.iter().map(|n| n.def_ref)), true),
            (
                "transform",
                strings(n.iter().map(|n| n.transform.as_deref())),
                true,
            ),
            ("units", strings(n.iter().map(|n| n.units.as_deref())), true),
            (
                "subtype",
                strings(n.iter().map(|n| n.subtype.as_deref())),
                true,
            ),
            ("argb", ints(n.iter().map(|n| n.argb)), true),
            ("opacity", numbers(n.iter().map(|n| n.opacity)), true),
            ("metalness", numbers(n.iter().map(|n| n.metalness)), true),
            ("roughness", numbers(n.iter().map(|n| n.roughness)), true),
            ("emissive", ints(n.iter().map(|n| n.emissive)), true),
            // Columns readers expect of every node, which Fleck has no values for.
            ("ior", numbers(n.iter().map(|_| None)), true),
            ("elevation", numbers(n.iter().map(|_| None)), true),
            ("gh_topology", strings(n.iter().map(|_| None)), true),
        ],
    )?;
    let r = &bundle.relations;
    add(
        RELATIONS,
        vec![
            ("rel", ints(r.iter().map(|r| Some(r.rel))), false),
            ("src", ints(r.iter().map(|r| Some(r.src))), false),
            ("dst", ints(r.iter().map(|r| Some(r.dst))), false),
            ("ord", ints(r.iter().map(|r| r.ord)), true),
        ],
    )?;
    let g = &bundle.geometries;
    add(
        GEOMETRIES,
        vec![
            (
                "geometryIndex",
                ints(g.iter().map(|g| Some(g.index))),
                false,
            ),
            (
                "content",
                Arc::new(BinaryArray::from_iter_values(
                    g.iter().map(|g| g.content.as_slice()),
                )),
                false,
            ),
            ("id", strings(g.iter().map(|g| Some(g.id.as_str()))), false),
            (
                "type",
                strings(g.iter().map(|g| Some(g.kind.as_str()))),
                false,
            ),
        ],
    )?;
    Ok(files)
}

fn ints(values: impl Iterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(values.collect::<Int32Array>())
}

fn numbers(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.collect::<Float64Array>())
}

fn strings<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> ArrayRef {
    Arc::new(values.into_iter().collect::<StringArray>())
}

fn parquet_file(columns: Vec<(&str, ArrayRef, bool)>) -> Result<Vec<u8>, BundleError> {
    let fail = |e: &dyn std::fmt::Display| BundleError::new(format!("writing a bundle file: {e}"));
    let fields: Vec<Field> = columns
        .iter()
        .map(|(name, array, nullable)| Field::new(*name, array.data_type().clone(), *nullable))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let arrays = columns.into_iter().map(|(_, array, _)| array).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| fail(&e))?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut out = Vec::new();
    let mut writer =
        ArrowWriter::try_new(&mut out, schema, Some(properties)).map_err(|e| fail(&e))?;
    writer.write(&batch).map_err(|e| fail(&e))?;
    writer.close().map_err(|e| fail(&e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::{kind, rel};

    fn bundle() -> Bundle {
        Bundle {
            objects: vec![(0, "a".into())],
            paths: vec![(0, "properties.Height".into())],
            values: vec![Value {
                object: 0,
                path: 0,
                text: Some("2.5".into()),
                number: Some(2.5),
                boolean: None,
                unit: Some("m".into()),
            }],
            nodes: vec![Node {
                id: 0,
                kind: kind::MATERIAL,
                argb: Some(-1),
                opacity: Some(1.0),
                ..Node::default()
            }],
            relations: vec![Relation {
                rel: rel::DISPLAY,
                src: 0,
                dst: 0,
                ord: Some(0),
            }],
            geometries: vec![GeometryRow {
                index: 0,
                content: vec![1, 2, 3],
                id: "g".into(),
                kind: "mesh".into(),
            }],
        }
    }

    fn as_files(written: Vec<(String, Vec<u8>)>) -> Vec<(String, Bytes)> {
        written
            .into_iter()
            .map(|(n, b)| (n, Bytes::from(b)))
            .collect()
    }

    #[test]
    fn written_files_read_back_as_the_same_bundle() {
        let files = as_files(write(&bundle(), "v1", "fleck").unwrap());
        assert!(files.iter().any(|(n, _)| n == "v1.geometries.parquet"));
        assert_eq!(read(&files).unwrap(), bundle());
    }

    #[test]
    fn a_truncated_or_missing_table_is_named() {
        let mut files = as_files(write(&bundle(), "v1", "fleck").unwrap());
        let nodes = files.iter_mut().find(|(n, _)| n.ends_with(NODES)).unwrap();
        nodes.1 = nodes.1.slice(..nodes.1.len() / 2);
        let error = read(&files).unwrap_err().to_string();
        assert!(
            error.starts_with("v1.envelope.nodes.parquet is not a readable parquet file"),
            "{error}"
        );
        files.retain(|(n, _)| !n.ends_with(NODES));
        let error = read(&files).unwrap_err().to_string();
        assert_eq!(error, "the bundle has no *.envelope.nodes.parquet file");
    }
}

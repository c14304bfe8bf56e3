//! A whole bundle: the input is its parquet files one after another, each ended by `SEPARATOR`,
//! in the order of `NAMES`; files past the input's end are empty.
#![no_main]

use bytes::Bytes;

const SEPARATOR: &[u8] = b"\xffFLECK-FILE\xff";
const NAMES: [&str; 7] = [
    "model.eav.objects.parquet",
    "model.eav.paths.parquet",
    "model.eav.eav.parquet",
    "model.envelope.nodes.parquet",
    "model.envelope.relations.parquet",
    "model.envelope.meta.parquet",
    "model.geometries.parquet",
];

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let mut rest = input;
    let mut files = Vec::new();
    for name in NAMES {
        let end = rest
            .windows(SEPARATOR.len())
            .position(|w| w == SEPARATOR)
            .unwrap_or(rest.len());
        files.push((name.to_string(), Bytes::copy_from_slice(&rest[..end])));
        rest = rest.get(end + SEPARATOR.len()..).unwrap_or_default();
    }
    let _ = fleck_core::bundle::read(&files);
});

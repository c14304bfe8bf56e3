//! The lines of an NDJSON objects file (`id<TAB>speckle_type<TAB>json`), as an ingestion reads them.
#![no_main]

libfuzzer_sys::fuzz_target!(|file: &[u8]| {
    for line in file.split(|b| *b == b'\n') {
        if let Ok(text) = std::str::from_utf8(line) {
            let _ = fleck_core::ingestions::objects_file::parse_line(text, 1 << 20);
        }
    }
});

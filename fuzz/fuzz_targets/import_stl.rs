//! An STL file (ASCII or binary), as the file-import converter reads it (with the default bounds, shortened in time).
#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use fleck_workers::import::{convert, Bounds};

libfuzzer_sys::fuzz_target!(|file: &[u8]| {
    let bounds = Bounds::after(Duration::from_secs(5));
    let _ = convert("fuzzed.stl", "stl", file, &HashMap::new(), bounds);
});

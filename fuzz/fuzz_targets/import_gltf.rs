//! A glTF or GLB file, as the file-import converter reads it (with the default bounds, shortened in time).
#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use fleck_workers::import::{convert, Bounds};

// The converter turns the glTF reader's panics into failures of the file; only a panic that
// escapes it is a crash, so the standard hook takes the place of libFuzzer's aborting one.
libfuzzer_sys::fuzz_target!(init: { let _ = std::panic::take_hook(); }, |file: &[u8]| {
    let bounds = Bounds::after(Duration::from_secs(5));
    let _ = convert("fuzzed.glb", "glb", file, &HashMap::new(), bounds);
});

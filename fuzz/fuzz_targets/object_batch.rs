//! A body of `POST /objects/:projectId` (a JSON array of objects), as the upload route parses it.
#![no_main]

libfuzzer_sys::fuzz_target!(|body: &[u8]| {
    let _ = fleck_core::objects::batch::parse(body, 1 << 20);
});

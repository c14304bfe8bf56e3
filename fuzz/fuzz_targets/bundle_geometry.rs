//! One geometry blob of a bundle (the sgeo encoding `send3` writes).
#![no_main]

libfuzzer_sys::fuzz_target!(|blob: &[u8]| {
    let _ = fleck_core::bundle::sgeo::decode(blob);
});

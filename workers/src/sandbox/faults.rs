//! Converters that misbehave on purpose, for the tests that prove a sandboxed child's failure
//! stays in the child. Built only with the `faults` feature, which only tests enable: an OBJ
//! whose first line is `# fleck-fault: <kind>` makes the child allocate without bound, recurse
//! without bound, or hang.

use std::hint::black_box;

const MARK: &[u8] = b"# fleck-fault: ";

pub fn strike(file: &[u8]) {
    let Some(kind) = file.strip_prefix(MARK) else {
        return;
    };
    let kind = kind.split(|b| *b == b'\n').next().unwrap_or_default();
    match kind.trim_ascii() {
        b"allocate" => allocate(),
        b"recurse" => {
            black_box(recurse(0));
        }
        b"hang" => loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        },
        _ => {}
    }
}

fn allocate() {
    let mut hoard = Vec::new();
    loop {
        hoard.push(black_box(vec![1u8; 64 * 1024 * 1024]));
    }
}

fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 64]);
    if black_box(depth) == u64::MAX {
        return frame[0];
    }
    recurse(depth + 1) + frame[1]
}

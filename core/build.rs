//! Lists `migrations/` for `db::migrations`: each file `<version>_<description>.sql` becomes an
//! entry with its text, so adding a migration is adding its file.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: a compiled script may be reused for
    // another checkout of the crate.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let folder = Path::new(&manifest_dir).join("../migrations");
    println!("cargo:rerun-if-changed={}", folder.display());
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .expect("reading migrations/")
        .map(|entry| entry.expect("reading migrations/").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql"))
        .collect();
    files.sort();
    let mut list = String::from("&[\n");
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (version, description) = stem
            .split_once('_')
            .unwrap_or_else(|| panic!("{stem}.sql is not named <version>_<description>.sql"));
        let version: i64 = version
            .parse()
            .unwrap_or_else(|_| panic!("{stem}.sql does not start with a version number"));
        let description = description.replace('_', " ");
        let path = path.canonicalize().expect("resolving a migration's path");
        writeln!(
            list,
            "    ({version}, {description:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    list.push(']');
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("migrations.rs");
    std::fs::write(out, list).expect("writing the list of migrations");
}

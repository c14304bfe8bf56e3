//! The schema's migrations, written once in `migrations/` for both databases and rendered for
//! each: `$NAME` stands for a column type the backend names (`Dialect::SCHEMA_WORDS`), and a line
//! that starts with `-- [sqlite] ` or `-- [postgres] ` is that database's alone. The rendered
//! text is what a database records the checksum of, so an applied migration is never edited.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

use super::dialect::Dialect;

/// `(version, description, template)` of each file in `migrations/`, in order (see build.rs).
const MIGRATIONS: &[(i64, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// The migrations rendered for the database of `D`.
pub fn migrator<D: Dialect>() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|&(version, description, template)| {
                Migration::new(
                    version,
                    Cow::Borrowed(description),
                    MigrationType::Simple,
                    AssertSqlSafe(render(template, D::KIND, D::SCHEMA_WORDS)).into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// `template` for the database `kind` whose column types are `words`.
fn render(template: &str, kind: &str, words: &[(&str, &str)]) -> String {
    let mut lines = Vec::new();
    for line in template.split('\n') {
        match only_for(line) {
            Some((database, text)) if database == kind => lines.push(Cow::Borrowed(text)),
            Some(_) => {}
            None => lines.push(substitute(line, words)),
        }
    }
    lines.join("\n")
}

/// The databases a line may be marked for: each backend's `Dialect::KIND`.
const DATABASES: [&str; 2] = ["sqlite", "postgres"];

/// The database and the text of a line kept for one database only. Any other comment that
/// happens to start with `-- [` is an ordinary line for both.
fn only_for(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("-- [")?;
    let (database, text) = rest.split_once(']')?;
    DATABASES
        .contains(&database)
        .then(|| (database, text.strip_prefix(' ').unwrap_or(text)))
}

/// `line` with each `$NAME` replaced by the database's word for it.
fn substitute<'a>(line: &'a str, words: &[(&str, &str)]) -> Cow<'a, str> {
    if !line.contains('$') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    let mut rest = line;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let len = after
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        match words.iter().find(|(word, _)| *word == name) {
            Some((_, spelled)) => out.push_str(spelled),
            None => panic!("migrations use ${name}, which the database does not define"),
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::postgres::PgDb;
    use crate::db::sqlite::SqliteDb;

    /// The first 16 hex digits of each migration's checksum as databases have recorded it since
    /// it was applied, SQLite then PostgreSQL: a changed one would stop those databases starting.
    const APPLIED: &[(i64, &str, &str)] = &[
        (1, "1a74fdcf6844ddfb", "4565906187d2188c"),
        (2, "d39f2d1e7e16c28f", "f70ffce2e1d747f2"),
        (3, "c7f0c1c47ce76ed5", "5e679e7ee9d850ed"),
        (4, "d5d37841df0ce445", "f44cb0380594537a"),
        (5, "701c1a80465b8cb2", "475ee391c1b98be3"),
        (6, "2c1b973d3c1867fc", "e20a45ac4a7ba2c7"),
        (7, "4661acfa606c5beb", "7d19a455c6798f3d"),
        (8, "50d0cd6ed9d610e3", "c3051a105a8208c8"),
        (9, "6caf0752ee07a244", "30287c672cf67547"),
        (11, "42a117c21d39ff52", "88bf8f7d3bf608da"),
        (12, "f83acc11cb391b5d", "f83acc11cb391b5d"),
        (13, "2f6b1d9968974b24", "d984b5167f1156cd"),
    ];

    fn checksums(migrator: &Migrator) -> Vec<(i64, String)> {
        migrator
            .iter()
            .map(|m| {
                let hex: String = m.checksum[..8].iter().map(|b| format!("{b:02x}")).collect();
                (m.version, hex)
            })
            .collect()
    }

    #[test]
    fn applied_migrations_render_as_recorded() {
        let sqlite = checksums(&migrator::<SqliteDb>());
        let postgres = checksums(&migrator::<PgDb>());
        for (version, on_sqlite, on_postgres) in APPLIED {
            let find = |all: &[(i64, String)]| {
                all.iter()
                    .find(|(v, _)| v == version)
                    .map(|(_, hex)| hex.clone())
            };
            assert_eq!(
                find(&sqlite).as_deref(),
                Some(*on_sqlite),
                "SQLite {version}"
            );
            assert_eq!(
                find(&postgres).as_deref(),
                Some(*on_postgres),
                "PostgreSQL {version}"
            );
        }
    }

    #[test]
    fn renders_words_and_lines_for_one_database() {
        let template =
            "-- [sqlite] -- lite\n-- [postgres] -- pg\n-- [note] kept\n  at $TIME NOT NULL,\n'{}'";
        let words = [("TIME", "TIMESTAMPTZ")];
        assert_eq!(
            render(template, "postgres", &words),
            "-- pg\n-- [note] kept\n  at TIMESTAMPTZ NOT NULL,\n'{}'"
        );
    }
}

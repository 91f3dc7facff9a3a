//! Migrations only go forward, the same on both backends, and never add a NOT NULL column
//! without a DEFAULT (it would fail on a table that already has rows).

use std::collections::BTreeSet;
use std::path::Path;

fn files(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(Path::new("migrations").join(dir))
        .expect("migrations folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    assert_eq!(files("sqlite"), files("postgres"));
}

#[test]
fn added_not_null_columns_have_defaults() {
    for dir in ["sqlite", "postgres"] {
        for name in files(dir) {
            let sql = std::fs::read_to_string(Path::new("migrations").join(dir).join(&name))
                .expect("read");
            for statement in sql.split(';') {
                let s = statement.to_uppercase();
                if s.contains("ALTER TABLE") && s.contains("ADD COLUMN") && s.contains("NOT NULL") {
                    assert!(
                        s.contains("DEFAULT"),
                        "{dir}/{name}: NOT NULL column added without DEFAULT: {statement}"
                    );
                }
            }
        }
    }
}

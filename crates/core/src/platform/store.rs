//! The local state: one SQLite file in the data dir, in WAL mode, with versioned migrations.
//!
//! Opening is careful because this file holds the user's work: it is checked before anything is
//! written, a damaged file or one from a newer app version is reported with its path and never
//! reset, and migrations run in a transaction (rusqlite_migration) so a crash leaves the old
//! version intact. The connection is blocking: call [`Store::with`] from a blocking thread.

use crate::platform::error::{CoreError, Result};
use rusqlite::{Connection, OpenFlags};
use rusqlite_migration::{M, Migrations};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("store/0001_workspaces.sql")),
        M::up(include_str!("store/0002_profile.sql")),
        M::up(include_str!("store/0003_agents.sql")),
        M::up(include_str!("store/0004_autonomy.sql")),
        M::up(include_str!("store/0005_intents.sql")),
        M::up(include_str!("store/0006_github.sql")),
        M::up(include_str!("store/0007_issues.sql")),
        M::up(include_str!("store/0008_fts_rows.sql")),
        M::up(include_str!("store/0009_project_dir.sql")),
        M::up(include_str!("store/0010_intent_worktrees.sql")),
        M::up(include_str!("store/0011_review_writes.sql")),
        M::up(include_str!("store/0012_review_checks.sql")),
        M::up(include_str!("store/0013_review_pulls.sql")),
        M::up(include_str!("store/0014_review_summaries.sql")),
        M::up(include_str!("store/0015_monitor.sql")),
        M::up(include_str!("store/0016_monitor_metrics.sql")),
        M::up(include_str!("store/0017_monitor_schemas_silences.sql")),
        M::up(include_str!("store/0018_monitor_expected.sql")),
        M::up(include_str!("store/0019_fabric.sql")),
    ])
}

/// The schema version this build writes (SQLite's `user_version`): one per migration.
pub const SCHEMA_VERSION: i64 = 19;

#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path`, checks it, and migrates it to the latest
    /// schema. Blocking.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
        }
        let store_err = |source| CoreError::Store {
            path: path.to_owned(),
            source,
        };
        let corrupt = |e: rusqlite::Error| classify(path, e);
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(store_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(store_err)?;

        // The first read of the file: a file that is not SQLite fails here.
        let found: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(corrupt)?;
        if found > SCHEMA_VERSION {
            return Err(CoreError::StoreTooNew {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(corrupt)?;
        if check != "ok" {
            return Err(CoreError::StoreCorrupt {
                path: path.to_owned(),
                detail: format!("integrity check: {check}"),
            });
        }
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(corrupt)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(journal_mode = %mode, "SQLite refused WAL mode");
        }
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(store_err)?;
        migrations().to_latest(&mut conn).map_err(|e| match e {
            rusqlite_migration::Error::RusqliteError { err, .. } => classify(path, err),
            other => CoreError::Internal(format!(
                "migrating the database {} failed: {other}",
                path.display()
            )),
        })?;
        tracing::info!(path = %path.display(), version = SCHEMA_VERSION, "store opened");
        Ok(Self {
            path: path.to_owned(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` with the connection. Blocking: call it from a blocking thread.
    pub fn with<T>(&self, work: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let conn = self.lock();
        work(&conn).map_err(|e| classify(&self.path, e))
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64> {
        self.with(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite itself inconsistent (statements are
        // atomic), so a poisoned lock is still safe to use.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Tells a damaged file apart from other failures.
fn classify(path: &Path, err: rusqlite::Error) -> CoreError {
    use rusqlite::ErrorCode as C;
    match err.sqlite_error_code() {
        Some(C::NotADatabase | C::DatabaseCorrupt) => CoreError::StoreCorrupt {
            path: path.to_owned(),
            detail: err.to_string(),
        },
        _ => CoreError::Store {
            path: path.to_owned(),
            source: err,
        },
    }
}

/// Reads column `index` (a position or a name) of a row as one of a closed set of names (a state, a kind), through
/// `parse`; a name the app does not know is a clear conversion error, not a silent default.
pub fn named<I: rusqlite::RowIndex + std::fmt::Debug + Copy, T>(
    row: &rusqlite::Row<'_>,
    index: I,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown value '{text}' in column {index:?}").into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid_and_counted() {
        migrations()
            .validate()
            .expect("migrations must apply to an empty database");
        assert_eq!(
            migrations_len(),
            SCHEMA_VERSION,
            "SCHEMA_VERSION must equal the number of migrations"
        );
    }

    fn migrations_len() -> i64 {
        let mut conn = Connection::open_in_memory().unwrap();
        migrations().to_latest(&mut conn).unwrap();
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn a_version_7_search_index_gets_its_row_map_on_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("studio.sqlite3");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrations().to_version(&mut conn, 7).unwrap();
            conn.execute_batch(
                "INSERT INTO gh_fts (rowid, repo, number, key, text) VALUES
                     (3, 'a/b', 1, 'issue', 'disk full'), (-4, 'a/b', 1, 'comment:9', 'restarted');",
            )
            .unwrap();
        }
        let store = Store::open(&path).unwrap();
        let rows: Vec<(i64, String, i64)> = store
            .with(|c| {
                c.prepare("SELECT number, key, rowid_in_fts FROM gh_fts_rows ORDER BY key")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .unwrap();
        assert_eq!(
            rows,
            vec![(1, "comment:9".into(), -4), (1, "issue".into(), 3)]
        );
    }

    #[test]
    fn opens_a_new_file_in_wal_mode_at_the_latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/studio.sqlite3");
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let mode: String = store
            .with(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_file_that_is_not_sqlite_is_reported_as_corrupt_with_its_path_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("studio.sqlite3");
        let garbage = b"this is not a database, it is a shopping list\n".repeat(200);
        std::fs::write(&path, &garbage).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, CoreError::StoreCorrupt { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "the message must name the file: {err}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            garbage,
            "a damaged database must never be reset"
        );
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_not_downgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("studio.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)
                .unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        match err {
            CoreError::StoreTooNew {
                found, supported, ..
            } => {
                assert_eq!(found, SCHEMA_VERSION + 5);
                assert_eq!(supported, SCHEMA_VERSION);
            }
            other => panic!("expected StoreTooNew, got {other:?}"),
        }
    }

    #[test]
    fn a_damaged_page_fails_the_integrity_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("studio.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "PRAGMA page_size = 4096; CREATE TABLE t (x TEXT); \
                 CREATE INDEX t_x ON t (x);",
            )
            .unwrap();
            let mut insert = conn.prepare("INSERT INTO t VALUES (?1)").unwrap();
            for i in 0..2000 {
                insert
                    .execute([format!("row {i:05} {}", "x".repeat(40))])
                    .unwrap();
            }
        }
        // Overwrite the middle of the file, past the header and schema page.
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 8192] {
            *b = 0x5a;
        }
        std::fs::write(&path, &bytes).unwrap();
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, CoreError::StoreCorrupt { .. }),
            "a damaged page must be caught on open: {err:?}"
        );
    }

    #[test]
    fn reopening_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("studio.sqlite3");
        Store::open(&path)
            .unwrap()
            .with(|c| {
                c.execute(
                    "INSERT INTO workspaces (id, name, kind, path) VALUES ('a', 'n', 'domain', '/p')",
                    [],
                )
            })
            .unwrap();
        let n: i64 = Store::open(&path)
            .unwrap()
            .with(|c| c.query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(n, 1);
    }
}

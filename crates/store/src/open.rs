use crate::StoreError;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use rusqlite_migration::{M, Migrations};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::time::Duration;

/// The migrations, oldest first. Append only: a released file never changes.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_initial.sql"),
    include_str!("../migrations/0002_short_terms.sql"),
    include_str!("../migrations/0003_outbox.sql"),
    include_str!("../migrations/0004_customer_changes.sql"),
    include_str!("../migrations/0005_in_flight.sql"),
    include_str!("../migrations/0006_discarded.sql"),
    include_str!("../migrations/0007_not_readable.sql"),
    include_str!("../migrations/0008_fieldbook_states.sql"),
    include_str!("../migrations/0009_currency.sql"),
    include_str!("../migrations/0010_pricing.sql"),
    include_str!("../migrations/0011_price_differences.sql"),
];

/// Migration `index` (from 0), with the Rust it runs after its SQL.
fn migration(index: usize, sql: &'static str) -> M<'static> {
    match index {
        1 => M::up_with_hook(sql, |tx: &rusqlite::Transaction| {
            crate::search::fill_short_terms(tx)?;
            Ok(())
        }),
        _ => M::up(sql),
    }
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// What encrypts the cache: a passphrase, from which SQLCipher derives the
/// page key (PBKDF2, deliberately slow: about 0.15 s on every open), or a
/// raw 256-bit key, used as it is. Its `Debug` output never shows it, so it
/// cannot leak into logs.
#[derive(Clone)]
pub struct CacheKey(String);

impl CacheKey {
    /// A passphrase a person chose (the CLI's `FIELDBOOK_CACHE_KEY`).
    pub fn new(passphrase: impl Into<String>) -> Result<CacheKey, StoreError> {
        let passphrase = passphrase.into();
        if passphrase.is_empty() {
            return Err(StoreError::EmptyKey);
        }
        Ok(CacheKey(passphrase))
    }

    /// A raw key: 256 random bits as 64 hex digits (the window's, which the
    /// OS keyring keeps). Random bits need no stretching, so opening the
    /// cache skips the key derivation.
    pub fn raw(hex: &str) -> Result<CacheKey, StoreError> {
        if hex.len() != 64 || !hex.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(StoreError::BadRawKey);
        }
        // SQLCipher's syntax for a raw key.
        Ok(CacheKey(format!("x'{hex}'")))
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CacheKey(<redacted>)")
    }
}

/// An open cache.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Finishes SQLite's and SQLCipher's process-wide start-up before any cache
/// is opened. SQLite marks itself initialised *before* it runs SQLCipher's
/// start-up (`SQLITE_EXTRA_INIT`), so a thread opening a connection at that
/// moment could key it while SQLCipher was not ready and get "An error
/// occurred with PRAGMA key or rekey" (SQLCipher 4.14; seen in CI with tests
/// opening caches in parallel). Opening one connection under a `Once` makes
/// every other thread wait until that start-up has run to its end.
pub(crate) fn sqlite_ready() {
    static READY: Once = Once::new();
    READY.call_once(|| {
        // A failure here is SQLite failing to start; the open that follows
        // fails the same way and reports it to its caller.
        let _ = Connection::open_in_memory();
    });
}

/// How long a writer waits for another writer before giving up with
/// [`StoreError::Locked`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// Creates a new, empty, encrypted cache at `path`. Fails if a file is
    /// already there: an existing cache is never overwritten.
    pub fn create(path: &Path, key: &CacheKey) -> Result<Store, StoreError> {
        if path.exists() {
            return Err(StoreError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        sqlite_ready();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|error| classify(error, path))?;
        let result = Store::prepare(conn, path, Some(key), BUSY_TIMEOUT);
        if result.is_err() {
            // Nothing of value can be in a file we just made and failed to set up.
            let _ = std::fs::remove_file(path);
        }
        result
    }

    /// Opens the cache at `path`, upgrading its schema in place if it was
    /// written by an older Fieldbook.
    pub fn open(path: &Path, key: &CacheKey) -> Result<Store, StoreError> {
        Store::open_with_timeout(path, key, BUSY_TIMEOUT)
    }

    /// [`Store::open`] with a chosen wait for a busy file.
    pub fn open_with_timeout(
        path: &Path,
        key: &CacheKey,
        busy_timeout: Duration,
    ) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.to_owned(),
            });
        }
        sqlite_ready();
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|error| classify(error, path))?;
        Store::prepare(conn, path, Some(key), busy_timeout)
    }

    /// An unencrypted cache in memory, for tests.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        sqlite_ready();
        let conn = Connection::open_in_memory()?;
        Store::prepare(conn, Path::new(":memory:"), None, BUSY_TIMEOUT)
    }

    /// The one place that sets the connection up: key, pragmas, schema.
    fn prepare(
        mut conn: Connection,
        path: &Path,
        key: Option<&CacheKey>,
        busy_timeout: Duration,
    ) -> Result<Store, StoreError> {
        let classify = |error| classify(error, path);
        if let Some(CacheKey(passphrase)) = key {
            conn.pragma_update(None, "key", passphrase)
                .map_err(classify)?;
        }
        conn.busy_timeout(busy_timeout).map_err(classify)?;
        // The first read of the file: a wrong key shows here.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(classify)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(classify)?;
        // FULL: a commit is on disk before it returns, so an order the
        // salesperson was told is saved survives a power cut. Under NORMAL,
        // WAL mode may lose the last commits when the OS crashes. The cost
        // is one fsync per transaction (BENCHMARKS.md, "Durability").
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(classify)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(classify)?;

        let found: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(classify)?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: path.to_owned(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        migrate_to(&mut conn, SCHEMA_VERSION).map_err(|error| match error {
            StoreError::Sqlite(error) => classify(error),
            other => other,
        })?;
        Ok(Store {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Begins a transaction that writes. It takes the write lock at once
    /// (`BEGIN IMMEDIATE`), waiting up to the busy timeout for another
    /// connection's: a deferred transaction would read first and then ask
    /// for the lock, and in WAL mode that upgrade fails at once, without
    /// waiting, when another connection committed since the read.
    pub(crate) fn write_transaction(&mut self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        Ok(self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .pragma_query_value(None, "user_version", |row| row.get(0))?)
    }
}

/// Brings the schema to `version` (a prefix of the migrations). Public in
/// the crate so tests can build every older schema.
pub(crate) fn migrate_to(conn: &mut Connection, version: i64) -> Result<(), StoreError> {
    let steps = MIGRATIONS[..version as usize]
        .iter()
        .enumerate()
        .map(|(index, sql)| migration(index, sql))
        .collect();
    Migrations::new(steps).to_latest(conn)?;
    Ok(())
}

/// Turns SQLite's error codes into errors a person can act on.
pub(crate) fn classify(error: rusqlite::Error, path: &Path) -> StoreError {
    let path = path.to_owned();
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::WrongKeyOrNotACache { path },
        Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            detail: error.to_string(),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked { path },
        _ => StoreError::Sqlite(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::PAYLOAD_VERSION;

    fn key(text: &str) -> CacheKey {
        CacheKey::new(text).unwrap()
    }

    #[test]
    fn a_created_cache_reopens_with_its_key_and_is_encrypted_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let store = Store::create(&path, &key("s3cret")).unwrap();
        store
            .conn
            .execute(
                "INSERT INTO customers (erp_id, code, name, tax_id, synced_at) VALUES (1, 'C1', '华为', NULL, 't')",
                [],
            )
            .unwrap();
        drop(store);

        let reopened = Store::open(&path, &key("s3cret")).unwrap();
        assert_eq!(reopened.schema_version().unwrap(), SCHEMA_VERSION);
        let name: String = reopened
            .conn
            .query_row("SELECT name FROM customers", [], |r| r.get(0))
            .unwrap();
        assert_eq!(name, "华为");
        drop(reopened);

        let bytes = std::fs::read(&path).unwrap();
        assert!(
            !bytes.starts_with(b"SQLite format 3"),
            "the file must not be plain SQLite"
        );
        assert!(
            !bytes.windows("华为".len()).any(|w| w == "华为".as_bytes()),
            "plain text leaked"
        );
    }

    #[test]
    fn every_commit_is_on_disk_before_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        drop(Store::create(&path, &key("k")).unwrap());
        let store = Store::open(&path, &key("k")).unwrap();
        let journal: String = store
            .conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        let synchronous: i64 = store
            .conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        assert_eq!(journal, "wal");
        // 2 is FULL: WAL syncs at every commit, not only at checkpoints.
        assert_eq!(synchronous, 2);
    }

    #[test]
    fn a_wrong_key_is_refused_and_the_file_is_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        drop(Store::create(&path, &key("right")).unwrap());
        let before = std::fs::read(&path).unwrap();
        let error = Store::open(&path, &key("wrong")).unwrap_err();
        assert!(
            matches!(error, StoreError::WrongKeyOrNotACache { .. }),
            "{error:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn a_file_that_is_not_a_cache_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        std::fs::write(&path, vec![0x5a; 8192]).unwrap();
        let error = Store::open(&path, &key("k")).unwrap_err();
        assert!(
            matches!(error, StoreError::WrongKeyOrNotACache { .. }),
            "{error:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), vec![0x5a; 8192]);
    }

    #[test]
    fn missing_and_existing_files_are_refused_with_their_own_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        assert!(matches!(
            Store::open(&path, &key("k")),
            Err(StoreError::Missing { .. })
        ));
        drop(Store::create(&path, &key("k")).unwrap());
        assert!(matches!(
            Store::create(&path, &key("k")),
            Err(StoreError::AlreadyExists { .. })
        ));
        assert!(matches!(CacheKey::new(""), Err(StoreError::EmptyKey)));
    }

    #[test]
    fn a_cache_from_a_newer_fieldbook_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let store = Store::create(&path, &key("k")).unwrap();
        store
            .conn
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        drop(store);
        let error = Store::open(&path, &key("k")).unwrap_err();
        assert!(
            matches!(error, StoreError::TooNew { found, supported, .. } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
            "{error:?}"
        );
    }

    #[test]
    fn a_cache_locked_by_another_program_is_reported_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        drop(Store::create(&path, &key("k")).unwrap());
        let holder = Store::open(&path, &key("k")).unwrap();
        holder
            .conn
            .pragma_update(None, "locking_mode", "EXCLUSIVE")
            .unwrap();
        holder
            .conn
            .execute_batch("BEGIN EXCLUSIVE; DELETE FROM customers; ")
            .unwrap();
        let error =
            Store::open_with_timeout(&path, &key("k"), Duration::from_millis(50)).unwrap_err();
        assert!(matches!(error, StoreError::Locked { .. }), "{error:?}");
        assert!(error.is_transient());
    }

    #[test]
    fn a_first_version_cache_gets_its_short_search_terms_when_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        sqlite_ready();
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "key", "k").unwrap();
        migrate_to(&mut conn, 1).unwrap();
        conn.execute(
            "INSERT INTO customers (erp_id, code, name, tax_id, synced_at) VALUES (7, 'C7', '深圳市华为技术有限公司', NULL, 't')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO search_index (rowid, kind, erp_id, code, name, body, digits)
             VALUES (14, 'customer', 7, 'C7', '深圳市华为技术有限公司', 'Keji Road', '7')",
            [],
        )
        .unwrap();
        drop(conn);
        let store = Store::open(&path, &key("k")).unwrap();
        for query in ["华为", "华", "ke", "c7"] {
            let hits = store.search(query, 5).unwrap();
            assert_eq!(hits.len(), 1, "{query}");
            assert_eq!(hits[0].erp_id, 7, "{query}");
        }
    }

    /// Each released migration's SHA-256. A migration, once released, never
    /// changes: caches in the field ran it as it was, and a changed file
    /// would leave their schema different from a new cache's. Fix a
    /// released migration with a new one; append a new file's hash here.
    const RELEASED: &[(&str, &str)] = &[
        (
            "0001_initial.sql",
            "76f180df7aa4087bc986a97199a2fab48cb32a5ef3b2b8cd7c80439929d9a394",
        ),
        (
            "0002_short_terms.sql",
            "0e4c5122a94fcfebb0519bf1bf8c801fc664d715f07abf855d4ffb82e62aef44",
        ),
        (
            "0003_outbox.sql",
            "4e7254a827794df2b82d620e23d39d5c068a417135be1712a560135844085352",
        ),
        (
            "0004_customer_changes.sql",
            "16897e450fefa43718aace644c430c83d6e20e9cf2f5d90744ec4e8891dabec4",
        ),
        (
            "0005_in_flight.sql",
            "05fcf747185ecb7b67c157f9fb57c59967e701ebf754c1b10164a8a4942d7684",
        ),
        (
            "0006_discarded.sql",
            "b1125ae334d13201cbe072475320294c71af9905b9f779367150d677b9dad465",
        ),
        (
            "0007_not_readable.sql",
            "498225057bbde7f5c0a3a28176c0eb83c91a1401634f1a714f65c30dcb79ac3f",
        ),
        (
            "0008_fieldbook_states.sql",
            "14e43d9fd40be4c25471a872f36e8395a691b3de1c9e12f158850b2bcc67090c",
        ),
        (
            "0009_currency.sql",
            "0100a0e09ff1348fe245f61a057dd57afc0fdbabafcbbfc294a0304f67ac6425",
        ),
        (
            "0010_pricing.sql",
            "e0e5a43d4a8e7e548be6aae0ad123109f01173631775649c608728d4cca760dd",
        ),
        (
            "0011_price_differences.sql",
            "df18ceac7e1b30ee6adb73b88697aeb07b6cd1f216b0719e2a1c3d3f1f207958",
        ),
    ];

    #[test]
    fn released_migrations_never_change_and_new_ones_are_only_appended() {
        use sha2::Digest;
        // Cargo's value at run time: the compiled-in one may name another
        // clone that built into the same target folder.
        let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap();
        let folder = Path::new(&manifest).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let released: Vec<&str> = RELEASED.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            files, released,
            "every migration file is listed here, in order"
        );
        assert_eq!(MIGRATIONS.len(), RELEASED.len(), "every file is embedded");
        for (index, (name, hash)) in RELEASED.iter().enumerate() {
            let digest = sha2::Sha256::digest(MIGRATIONS[index].as_bytes());
            let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
            assert_eq!(
                &hex, hash,
                "{name} changed after its release: add a new migration instead"
            );
        }
    }

    #[test]
    fn entries_pending_before_the_in_flight_mark_count_as_in_flight_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        sqlite_ready();
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "key", "k").unwrap();
        migrate_to(&mut conn, 4).unwrap();
        // Schema 4 could not tell a crash after the ERP committed from an
        // entry never sent: both are pending with no attempts.
        for (uuid, state) in [("a", "pending"), ("b", "rejected"), ("c", "done")] {
            conn.execute(
                "INSERT INTO outbox (uuid, kind, payload, state, created_at, updated_at)
                 VALUES (?1, 'request', '{}', ?2, '2026-11-25T09:00:00Z', '2026-11-25T09:00:00Z')",
                [uuid, state],
            )
            .unwrap();
        }
        drop(conn);
        let store = Store::open(&path, &key("k")).unwrap();
        let marks: Vec<(String, bool, Option<String>, i64)> = store
            .conn
            .prepare(
                "SELECT uuid, in_flight, first_sent_at, payload_version FROM outbox ORDER BY seq",
            )
            .unwrap()
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let at = Some("2026-11-25T09:00:00Z".to_owned());
        assert_eq!(
            marks,
            vec![
                ("a".into(), true, at, 1),
                ("b".into(), false, None, 1),
                ("c".into(), false, None, 1)
            ]
        );
    }

    #[test]
    fn sales_cached_in_the_erps_words_read_in_fieldbooks_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        sqlite_ready();
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "key", "k").unwrap();
        migrate_to(&mut conn, 7).unwrap();
        // Schema 7 kept Tryton's word for a quote.
        for (erp_id, state) in [(1, "quotation"), (2, "confirmed"), (3, "draft")] {
            conn.execute(
                "INSERT INTO orders (erp_id, number, customer_id, state, currency, untaxed, tax, total, synced_at)
                 VALUES (?1, 'SO' || ?1, 7, ?2, 'CNY', '1', '0', '1', '2026-11-25T09:00:00Z')",
                rusqlite::params![erp_id, state],
            )
            .unwrap();
        }
        drop(conn);
        let store = Store::open(&path, &key("k")).unwrap();
        let states: Vec<fieldbook_core::SaleState> = (1..=3)
            .map(|erp_id| store.order(erp_id).unwrap().unwrap().value.state)
            .collect();
        use fieldbook_core::SaleState::{Confirmed, Draft, Quote};
        assert_eq!(states, [Quote, Confirmed, Draft]);
    }

    /// An entry written by a newer Fieldbook, or damaged, is kept aside
    /// with a clear reason; the outbox, the other entries and the cache
    /// stay usable, and the entry can be discarded.
    #[test]
    fn an_entry_this_build_cannot_read_is_kept_aside_and_the_rest_go() {
        let mut store = Store::open_in_memory().unwrap();
        for (uuid, payload, version) in [
            (
                "good",
                r#"{"customer_id":1,"description":"ok","order_id":null,"invoice_id":null}"#,
                1,
            ),
            (
                "newer",
                r#"{"customer_id":1,"description":"from the future"}"#,
                PAYLOAD_VERSION + 1,
            ),
            ("damaged", r#"{"customer_id":"#, 1),
        ] {
            store
                .conn
                .execute(
                    "INSERT INTO outbox (uuid, kind, payload, payload_version, created_at, updated_at)
                     VALUES (?1, 'request', ?2, ?3, '2026-11-25T09:00:00Z', '2026-11-25T09:00:00Z')",
                    rusqlite::params![uuid, payload, version],
                )
                .unwrap();
        }
        let readable: Vec<String> = store
            .outbox()
            .unwrap()
            .into_iter()
            .map(|e| e.uuid)
            .collect();
        assert_eq!(readable, vec!["good"]);
        let sendable: Vec<String> = store
            .sendable(None)
            .unwrap()
            .into_iter()
            .map(|e| e.uuid)
            .collect();
        assert_eq!(sendable, vec!["good"]);
        let aside = store.quarantined().unwrap();
        assert_eq!(
            aside.iter().map(|e| e.uuid.as_str()).collect::<Vec<_>>(),
            ["newer", "damaged"]
        );
        let newer = format!(
            "newer Fieldbook (payload version {}, this one reads up to {PAYLOAD_VERSION})",
            PAYLOAD_VERSION + 1
        );
        assert!(aside[0].reason.contains(&newer), "{:?}", aside[0]);
        assert!(aside[1].reason.contains("outbox request"), "{:?}", aside[1]);
        let error = store.outbox_entry(aside[0].seq).unwrap_err();
        assert!(
            matches!(error, StoreError::UnreadableEntry { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("kept aside and not sent"),
            "{error}"
        );
        assert_eq!(
            store.status().map(|_| ()).ok(),
            Some(()),
            "the cache stays usable"
        );
        assert_eq!(
            store
                .discard(aside[1].seq, chrono::Utc::now())
                .unwrap()
                .entries,
            1
        );
        assert_eq!(store.quarantined().unwrap().len(), 1);
    }

    #[test]
    fn every_older_schema_upgrades_in_place_keeping_its_rows() {
        for version in 1..=SCHEMA_VERSION {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("cache.db");
            sqlite_ready();
            let mut conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "key", "k").unwrap();
            migrate_to(&mut conn, version).unwrap();
            conn.execute(
                "INSERT INTO customers (erp_id, code, name, tax_id, synced_at) VALUES (7, 'C7', 'Old', NULL, 't')",
                [],
            )
            .unwrap();
            drop(conn);
            let store = Store::open(&path, &key("k")).unwrap();
            assert_eq!(
                store.schema_version().unwrap(),
                SCHEMA_VERSION,
                "from {version}"
            );
            let name: String = store
                .conn
                .query_row("SELECT name FROM customers WHERE erp_id = 7", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(name, "Old", "from {version}");
        }
    }
}

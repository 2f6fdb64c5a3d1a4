//! The one place that opens SQLite. `Store` owns the writer connection (every write is a
//! `BEGIN IMMEDIATE` transaction on it) and a few reader connections; the submodules hold the
//! queries, grouped by table, and return plain types. Only billing and the edges' thin wrappers call them.

pub mod admin_backups;
pub mod broadcasts;
pub mod choices;
pub mod dialogues;
pub mod export;
pub mod held;
pub mod jobs;
pub mod ledger;
pub mod notices;
pub mod notifications;
pub mod operations;
pub mod payments;
pub mod plans;
pub mod promo;
pub mod referrals;
pub mod stats;
pub mod support;
pub mod updates;
pub mod users;
pub mod web;
pub mod words;

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The one place stored enums meet their SQL text: written by name, and a name this version does not
/// know is an error when read (never a default).
macro_rules! text_columns {
    ($($t:ty),+) => {$(
        impl rusqlite::types::ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $t {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                value
                    .as_str()?
                    .parse()
                    .map_err(|e: String| rusqlite::types::FromSqlError::Other(e.into()))
            }
        }
    )+};
}

text_columns!(
    crate::model::JobStatus,
    crate::model::JobKind,
    crate::model::PaymentStatus,
    crate::model::Provider,
    crate::model::RefundState,
    crate::model::CheckOutcome,
    crate::model::LedgerKind,
    crate::model::Format
);

/// TIME_ZONE inside a query: the table `zone (since, offset)` of its offsets over a span
/// (`time::offsets`, numbers we computed, not input, written as values), and the expression that
/// puts a moment on the zone's clock of its own day, summer time or not.
pub(crate) struct LocalClock(String);

impl LocalClock {
    /// The zone's offsets from `from` to `to` (and the first one for every earlier moment).
    pub(crate) fn over(from: i64, to: i64) -> LocalClock {
        let values = crate::time::offsets(from, to)
            .iter()
            .map(|(since, offset)| format!("({since}, {offset})"))
            .collect::<Vec<_>>()
            .join(", ");
        LocalClock(format!("zone (since, offset) AS (VALUES {values})"))
    }

    /// The common table, to follow `WITH`.
    pub(crate) fn table(&self) -> &str {
        &self.0
    }

    /// `column` (unix seconds) as wall-clock seconds in TIME_ZONE.
    pub(crate) fn local(column: &str) -> String {
        format!(
            "({column} + (SELECT offset FROM zone WHERE since <= {column} ORDER BY since DESC LIMIT 1))"
        )
    }
}

/// Reads a statement's only column (a count, a max, one id). Every other read names its columns;
/// this one fails if the statement has more than one, so a widened SELECT is never read by position.
pub fn only<T: rusqlite::types::FromSql>(r: &rusqlite::Row<'_>) -> rusqlite::Result<T> {
    match r.as_ref().column_count() {
        1 => r.get(0),
        n => Err(rusqlite::Error::InvalidColumnIndex(n)),
    }
}

/// What SQLite itself finds wrong with the file: integrity and foreign keys, one sentence each.
pub fn file_breaches(c: &Connection) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stmt = c.prepare("PRAGMA integrity_check")?;
    for row in stmt.query_map([], only::<String>)? {
        let row = row?;
        if row != "ok" {
            out.push(format!("integrity: {row}"));
        }
    }
    let mut stmt = c.prepare("PRAGMA foreign_key_check")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>("table")?,
            r.get::<_, Option<i64>>("rowid")?,
        ))
    })?;
    for row in rows {
        let (table, rowid) = row?;
        out.push(format!(
            "foreign key: {table} row {rowid:?} points at nothing"
        ));
    }
    Ok(out)
}

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// How long a writer waits for another process's transaction (an admin command beside `run`).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Reader connections kept open for reuse.
const MAX_IDLE_READERS: usize = 4;

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database file and applies any pending migrations.
    /// A database written by a newer media-lab is refused before anything touches it.
    pub fn open(path: &Path) -> Result<Store> {
        let store = Store::open_unmigrated(path)?;
        store.migrate()?;
        Ok(store)
    }

    /// Opens the file with the pragmas but applies nothing (for `migrate`, which reports what it applied).
    pub fn open_unmigrated(path: &Path) -> Result<Store> {
        if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.is_dir())
        {
            return Err(Error::Database(format!(
                "the directory {} of the database does not exist; create it or change DATABASE_URL",
                dir.display()
            )));
        }
        let writer = connect(path)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
        })
    }

    /// Opens an existing database at exactly this binary's schema, changing nothing: admin verbs run
    /// beside `run`, which holds the instance lock, so only `run` and `migrate` ever change the schema.
    /// A file that does not exist yet is a fresh install, not an older schema: it is created and
    /// migrated under the instance lock, as `run` would.
    pub fn open_current(path: &Path) -> Result<Store> {
        if !path.exists() {
            let _lock = lock_instance(path)?;
            return Store::open(path);
        }
        let store = Store::open_unmigrated(path)?;
        {
            let conn = lock(&store.writer);
            refuse_newer_schema(&conn)?;
            let applied = applied_version(&conn)?.unwrap_or(0);
            let known = known_version();
            if applied < known {
                return Err(Error::Database(format!(
                    "{} is at schema version {applied}, this binary needs {known}: run `media-lab migrate` first",
                    path.display()
                )));
            }
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Applies the embedded migrations not yet applied and returns their names ("V1__init").
    pub fn migrate(&self) -> Result<Vec<String>> {
        let mut conn = lock(&self.writer);
        refuse_newer_schema(&conn)?;
        let report = embedded::migrations::runner()
            .set_abort_divergent(true)
            .run(&mut *conn)?;
        Ok(report
            .applied_migrations()
            .iter()
            .map(|m| format!("V{}__{}", m.version(), m.name()))
            .collect())
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer connection and commits it.
    /// An error from `f` rolls everything back.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = lock(&self.writer);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` on a reader connection. WAL lets readers see the last commit without waiting for writers.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = match lock(&self.readers).pop() {
            Some(conn) => conn,
            None => connect(&self.path)?,
        };
        let value = f(&conn);
        let mut idle = lock(&self.readers);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        value
    }
}

/// A consistent copy of the database at `source` into the new file `dest`, whatever its schema: the
/// source is only read (never created, migrated or switched to another journal mode). The copy is
/// written to a temporary file of its own in `dest`'s directory and linked into place, so `dest` is
/// either absent or complete, and an existing `dest` is refused, never overwritten.
pub fn backup(source: &Path, dest: &Path) -> Result<()> {
    if !source.is_file() {
        return Err(Error::Database(format!(
            "there is no database at {} to back up",
            source.display()
        )));
    }
    let cannot = |e: std::io::Error| Error::io(format!("cannot write {}", dest.display()), e);
    if dest.exists() {
        return Err(Error::invalid(format!(
            "{} already exists; choose a new file name",
            dest.display()
        )));
    }
    let name = dest
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{} is not a file name", dest.display())))?;
    let suffix = crate::ids::random_id("")?;
    let tmp = dest.with_file_name(format!(
        ".{}.{}.partial",
        name.to_string_lossy(),
        &suffix[..12]
    ));
    // create_new: the temporary name is ours alone, and the error names the directory problem.
    std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(cannot)?;
    let result = (|| {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(source, flags)
            .map_err(|e| Error::Database(format!("cannot open {}: {e}", source.display())))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let mut target = Connection::open(&tmp)?;
        {
            let backup = rusqlite::backup::Backup::new(&conn, &mut target)?;
            // One step of -1 pages copies everything under one read transaction: a single
            // snapshot, which WAL mode lets writers keep committing beside.
            loop {
                match backup.step(-1)? {
                    rusqlite::backup::StepResult::Done => break,
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        let check: String = target.query_row("PRAGMA integrity_check", [], only)?;
        if check != "ok" {
            return Err(Error::Database(format!(
                "the copy failed its integrity check: {check}"
            )));
        }
        target.pragma_update(None, "journal_mode", "DELETE")?;
        drop(target);
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(cannot)?;
        // A hard link fails if dest appeared meanwhile: never clobbered, even by a race.
        std::fs::hard_link(&tmp, dest).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::invalid(format!(
                    "{} already exists; choose a new file name",
                    dest.display()
                ))
            } else {
                cannot(e)
            }
        })?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

/// A consistent copy of the database, gzip-compressed, in the database's own directory (never
/// another disk's /tmp: the copy is as private as the database): for sending to the admins. The
/// caller removes the file once it is sent.
pub fn compressed_backup(source: &Path) -> Result<PathBuf> {
    // The time for people, a random tail so two backups in one second (two admins' /backup) never
    // share a file — nor delete each other's on an error.
    let stamp = format!(
        "{}-{}",
        crate::time::datetime_of(crate::time::now()).replace(':', ""),
        &crate::ids::random_id("")?[..8]
    );
    let plain = source.with_file_name(format!(".media_lab-{stamp}.db"));
    backup(source, &plain)?;
    let gz = source.with_file_name(format!("media_lab-{stamp}.db.gz"));
    let result = (|| {
        let cannot = |e: std::io::Error| Error::io(format!("cannot write {}", gz.display()), e);
        let mut input = std::fs::File::open(&plain).map_err(cannot)?;
        let output = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&gz)
            .map_err(cannot)?;
        let mut encoder = flate2::write::GzEncoder::new(output, flate2::Compression::default());
        std::io::copy(&mut input, &mut encoder).map_err(cannot)?;
        encoder.finish().and_then(|f| f.sync_all()).map_err(cannot)
    })();
    let _ = std::fs::remove_file(&plain);
    if result.is_err() {
        let _ = std::fs::remove_file(&gz);
    }
    result.map(|()| gz)
}

/// When Litestream last recorded a change of the database at `database`, read from the directory
/// it keeps beside it (`.<name>-litestream`): None when Litestream has never replicated it here.
pub fn litestream_seen(database: &Path) -> Option<i64> {
    let name = database.file_name()?.to_string_lossy();
    let meta = database.with_file_name(format!(".{name}-litestream"));
    let mut newest = std::fs::metadata(&meta).ok()?.modified().ok()?;
    // Its level-0 files are written as changes are shipped; a few directories deep, bounded.
    let mut dirs = vec![meta];
    for _ in 0..64 {
        let Some(dir) = dirs.pop() else { break };
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                dirs.push(entry.path());
            } else if let Ok(at) = meta.modified() {
                newest = newest.max(at);
            }
        }
    }
    let secs = newest.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// An exclusive advisory lock (flock) on `<database>.lock`, from std's `File::try_lock`: the kernel
/// drops it when the process dies, even on kill -9, so a crash never leaves a stale lock behind.
pub fn lock_instance(database: &Path) -> Result<std::fs::File> {
    use std::fs::{File, TryLockError};
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(format!("opening the lock file {}", path.display()), e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(Error::Locked(path)),
        Err(TryLockError::Error(e)) => Err(Error::io(format!("locking {}", path.display()), e)),
    }
}

fn connect(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| Error::Database(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], only)?;
    if mode != "wal" {
        return Err(Error::Database(format!(
            "{} could not be switched to WAL mode (got {mode}); is it on a network filesystem?",
            path.display()
        )));
    }
    // FULL: a committed top-up must survive a power cut, not only a crash of the process.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}

/// refinery records applied versions in `refinery_schema_history`; a version above every embedded
/// migration means a newer media-lab wrote this file, and this binary must not touch it.
fn refuse_newer_schema(conn: &Connection) -> Result<()> {
    let applied = applied_version(conn)?;
    let known = known_version();
    match applied {
        Some(v) if v > known => Err(Error::Database(format!(
            "this database has schema version {v}, newer than this binary knows ({known}); \
             run the newer media-lab, or restore a backup made for this version"
        ))),
        _ => Ok(()),
    }
}

/// The highest schema version applied to this file; None for a file that was never migrated.
fn applied_version(conn: &Connection) -> Result<Option<i64>> {
    let has_history: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'refinery_schema_history')",
        [],
        only,
    )?;
    if !has_history {
        return Ok(None);
    }
    Ok(conn.query_row("SELECT max(version) FROM refinery_schema_history", [], only)?)
}

/// The highest schema version this binary embeds.
fn known_version() -> i64 {
    embedded::migrations::runner()
        .get_migrations()
        .iter()
        .map(|m| i64::from(m.version()))
        .max()
        .unwrap_or(0)
}

/// A poisoned lock only means a panic happened while it was held; the transaction it guarded was
/// rolled back when the panic dropped it, so the connection is still sound.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs blocking database work off the async runtime's threads: the one way async code reaches SQLite.
pub async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("a database task failed: {e}")))?
}

//! Where Fieldbook keeps things on a laptop, the same for the window and
//! the CLI: one data folder (the cache, its settings), one log folder, and
//! the lock that keeps two programs from writing to one cache at once.
//!
//! The data folder is the one Tauri gives the window (the platform's data
//! folder and the app's identifier), so an administrator's `fieldbook
//! status` on a salesperson's laptop reads the window's cache with no
//! option at all.

use crate::{AppError, ErrorKind};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The app's identifier (`tauri.conf.json`), which names its folders.
pub const IDENTIFIER: &str = "com.fieldbook.desktop";

/// The folders one Fieldbook profile uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folders {
    /// The cache, its settings and locks.
    pub data: PathBuf,
    /// The rotating log files of the window and the CLI.
    pub logs: PathBuf,
}

impl Folders {
    /// The folders for a data folder the person chose (`--data-dir`,
    /// `FIELDBOOK_DATA_DIR`), or the platform's. A chosen data folder keeps
    /// its logs in `logs/` inside it, so a second profile (or a test)
    /// keeps its own; `FIELDBOOK_LOG_DIR` names another log folder.
    pub fn locate(chosen: Option<PathBuf>) -> Result<Folders, AppError> {
        let log_dir = std::env::var_os("FIELDBOOK_LOG_DIR")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from);
        Folders::resolve(chosen, log_dir, directories::BaseDirs::new())
    }

    fn resolve(
        chosen: Option<PathBuf>,
        log_dir: Option<PathBuf>,
        base: Option<directories::BaseDirs>,
    ) -> Result<Folders, AppError> {
        let no_home = || {
            AppError::new(
                "errors.folders.no_home",
                "cannot find this user's home folder to keep the cache in: set FIELDBOOK_DATA_DIR (or pass --data-dir)",
            )
            .of_kind(ErrorKind::System)
        };
        let (data, logs) = match chosen {
            Some(data) => {
                let data = absolute(&data)?;
                let logs = data.join("logs");
                (data, logs)
            }
            None => {
                let base = base.ok_or_else(no_home)?;
                let data = base.data_dir().join(IDENTIFIER);
                (data, platform_log_dir(&base))
            }
        };
        let logs = match log_dir {
            Some(dir) => absolute(&dir)?,
            None => logs,
        };
        Ok(Folders { data, logs })
    }
}

/// Where desktop apps keep logs: `~/Library/Logs/ID` on macOS, the local
/// app data folder's `ID/logs` elsewhere (as Tauri's `app_log_dir`).
fn platform_log_dir(base: &directories::BaseDirs) -> PathBuf {
    if cfg!(target_os = "macos") {
        base.home_dir().join("Library/Logs").join(IDENTIFIER)
    } else {
        base.data_local_dir().join(IDENTIFIER).join("logs")
    }
}

/// `path` made absolute (against the working folder), without resolving
/// links, and without a trailing separator: the keyring's entries are named
/// after the data folder, so `dir` and `./dir/` must name the same one.
fn absolute(path: &Path) -> Result<PathBuf, AppError> {
    let path = std::path::absolute(path).map_err(|error| {
        AppError::new(
            "errors.folders.unusable",
            format!("cannot use the folder {}: {error}", path.display()),
        )
        .with("path", path.display())
        .of_kind(ErrorKind::Input)
    })?;
    Ok(path.components().collect())
}

/// Which program holds the data folder's writer lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// The window, for as long as it is open.
    Window,
    /// A CLI command that writes, for as long as it runs.
    Cli,
}

/// The data folder's writer lock, held while it lives: the window holds it
/// alone from start to end; CLI commands that write (sync, a new order, an
/// edit) share it for their run, as they may run side by side (a sync and
/// an order saved from another terminal: the outbox and `sync.lock` keep
/// them apart). Reading commands need none: SQLite lets them read beside a
/// writer.
#[derive(Debug)]
pub struct WriterLock {
    _file: std::fs::File,
}

/// The lock file's name in the data folder.
const WRITER_LOCK: &str = "writer.lock";

impl WriterLock {
    /// Takes the lock, or says at once who holds it: "in use by the
    /// window" (code `errors.cache.in_use`).
    pub fn take(data_dir: &Path, holder: Holder) -> Result<WriterLock, AppError> {
        let mut file = open_lock(data_dir)?;
        let taken = match holder {
            Holder::Window => file.try_lock(),
            Holder::Cli => file.try_lock_shared(),
        };
        match taken {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let held_by = read_holder(&mut file);
                return Err(in_use(data_dir, held_by.as_deref()));
            }
            Err(std::fs::TryLockError::Error(error)) => {
                return Err(cannot_lock(data_dir, &error));
            }
        }
        WriterLock::hold(file, data_dir, holder)
    }

    /// Waits for the lock as long as another holds it (the window waiting
    /// for a CLI command to end), telling `waiting` once who it waits for.
    pub fn wait(
        data_dir: &Path,
        holder: Holder,
        waiting: impl FnOnce(&AppError),
    ) -> Result<WriterLock, AppError> {
        match WriterLock::take(data_dir, holder) {
            Err(error) if error.code == "errors.cache.in_use" => {
                waiting(&error);
                let file = open_lock(data_dir)?;
                match holder {
                    Holder::Window => file.lock(),
                    Holder::Cli => file.lock_shared(),
                }
                .map_err(|error| cannot_lock(data_dir, &error))?;
                WriterLock::hold(file, data_dir, holder)
            }
            taken => taken,
        }
    }

    fn hold(
        mut file: std::fs::File,
        data_dir: &Path,
        holder: Holder,
    ) -> Result<WriterLock, AppError> {
        let who = match holder {
            Holder::Window => "window",
            Holder::Cli => "cli",
        };
        // Who holds it, for the message another program shows.
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{who} {}", std::process::id()))
            .map_err(|error| cannot_lock(data_dir, &error))?;
        Ok(WriterLock { _file: file })
    }
}

fn open_lock(data_dir: &Path) -> Result<std::fs::File, AppError> {
    std::fs::create_dir_all(data_dir)
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(data_dir.join(WRITER_LOCK))
        })
        .map_err(|error| cannot_lock(data_dir, &error))
}

/// "window 1234" as the holder wrote it; `None` where a locked file cannot
/// be read (Windows locks reading too).
fn read_holder(file: &mut std::fs::File) -> Option<String> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn in_use(data_dir: &Path, held_by: Option<&str>) -> AppError {
    let (who, pid) = held_by
        .and_then(|text| text.split_once(' '))
        .unwrap_or(("", ""));
    let message = match who {
        "window" => format!(
            "the cache in {} is in use by Fieldbook's window (process {pid}): close the window, then try again. \
             Commands that only read (status, outbox list, search, customer, product) work while it is open",
            data_dir.display()
        ),
        "cli" => format!(
            "the cache in {} is in use by another fieldbook command (process {pid}) that is writing to it: \
             try again when it has finished",
            data_dir.display()
        ),
        _ => format!(
            "the cache in {} is in use by another Fieldbook program: close Fieldbook's window, or wait for \
             the other fieldbook command to finish",
            data_dir.display()
        ),
    };
    AppError::new("errors.cache.in_use", message)
        .with(
            "holder",
            match who {
                "window" | "cli" => who,
                _ => "unknown",
            },
        )
        .with("path", data_dir.display())
        .of_kind(ErrorKind::Cache)
        .transient()
}

fn cannot_lock(data_dir: &Path, error: &std::io::Error) -> AppError {
    AppError::new(
        "errors.cache.other",
        format!(
            "cannot lock {}: {error}",
            data_dir.join(WRITER_LOCK).display()
        ),
    )
    .of_kind(ErrorKind::System)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chosen_folder_keeps_its_logs_inside_and_names_one_folder_however_typed() {
        let here = std::env::current_dir().unwrap();
        let folders = Folders::resolve(Some("profile/./two/".into()), None, None).unwrap();
        assert_eq!(folders.data, here.join("profile/two"));
        assert_eq!(folders.logs, here.join("profile/two/logs"));
        // The same folder typed another way is the same folder (the
        // keyring's entries are named after it).
        let again = Folders::resolve(Some(here.join("profile/two")), None, None).unwrap();
        assert_eq!(again, folders);
    }

    #[test]
    fn the_platforms_folders_are_the_windows_and_a_log_folder_can_be_named() {
        let base = directories::BaseDirs::new().expect("a home folder");
        let folders = Folders::resolve(None, None, directories::BaseDirs::new()).unwrap();
        // What Tauri's app_data_dir() gives the window.
        assert_eq!(folders.data, base.data_dir().join("com.fieldbook.desktop"));
        if cfg!(target_os = "linux") {
            assert_eq!(
                folders.logs,
                base.data_local_dir().join("com.fieldbook.desktop/logs")
            );
        }
        let named = Folders::resolve(
            None,
            Some("/var/log/fb".into()),
            directories::BaseDirs::new(),
        )
        .unwrap();
        assert_eq!(named.logs, PathBuf::from("/var/log/fb"));
        let error = Folders::resolve(None, None, None).unwrap_err();
        assert_eq!(error.code, "errors.folders.no_home");
        assert!(error.message.contains("FIELDBOOK_DATA_DIR"), "{error}");
    }

    #[test]
    fn the_window_and_a_writing_command_never_hold_the_cache_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let window = WriterLock::take(dir.path(), Holder::Window).unwrap();
        let refused = WriterLock::take(dir.path(), Holder::Cli).unwrap_err();
        assert_eq!(refused.code, "errors.cache.in_use");
        assert_eq!(refused.kind, ErrorKind::Cache);
        assert!(
            refused.message.contains(&format!(
                "in use by Fieldbook's window (process {})",
                std::process::id()
            )),
            "{refused}"
        );
        assert!(refused.message.contains("close the window"), "{refused}");
        drop(window);

        // Commands share it: a sync and an order saved beside it.
        let cli = WriterLock::take(dir.path(), Holder::Cli).unwrap();
        let second = WriterLock::take(dir.path(), Holder::Cli).unwrap();
        drop(second);
        let refused = WriterLock::take(dir.path(), Holder::Window).unwrap_err();
        assert!(
            refused.message.contains("another fieldbook command"),
            "{refused}"
        );
        // The window waits for the command, saying so once.
        let path = dir.path().to_owned();
        let (told, waiting) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let mut said = Vec::new();
            let lock = WriterLock::wait(&path, Holder::Window, |error| {
                said.push(error.message.clone());
                told.send(()).unwrap();
            });
            (lock.is_ok(), said)
        });
        waiting.recv().unwrap();
        drop(cli);
        let (locked, said) = waiter.join().unwrap();
        assert!(locked);
        assert_eq!(said.len(), 1, "{said:?}");
    }
}

//! What the desktop window does, without the window: each Tauri command in
//! `src-tauri` is one call to a method of [`App`], so everything here is
//! tested with no desktop (the Yaak and GitButler shape).
//!
//! Terms:
//! - *session*: what the window needs when it opens: whether a cache is
//!   ready to read, for which ERP, and the settings.
//! - *secrets*: the ERP password and the cache's encryption key. They live
//!   in the OS keyring ([`Secrets`]; `src-tauri` gives the real one), never
//!   in a file or a log.
//! - *connectivity*: whether the ERP answered the last sync, as the window's
//!   offline badge shows it.
//!
//! **Architecture invariant:** nothing here knows Tauri. The window's types
//! are in [`wire`]; the TypeScript for them is generated from it.

mod customers;
mod error;
mod keyring;
pub mod local;
pub mod logs;
mod read;
mod sync;
pub mod wire;
mod write;

pub use error::{AppError, ErrorKind};
pub use keyring::KeyringSecrets;
pub use sync::{SyncReports, SyncRun, Trigger, run_background};

use chrono::Utc;
use fieldbook_erp::tryton::{Tryton, TrytonConfig};
use fieldbook_store::{CacheKey, ErpLink, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use wire::{ConnectForm, Connectivity, ErpInfo, Session, Settings};

/// Where secrets are kept: the OS keyring in the app, memory in tests.
pub trait Secrets: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<String>, AppError>;
    fn set(&self, name: &str, value: &str) -> Result<(), AppError>;
    /// Removing a secret that is not there is not an error.
    fn delete(&self, name: &str) -> Result<(), AppError>;

    /// The key for a cache about to be made, when the front end has the
    /// person choose it (the CLI's passphrase); `None` (the default) lets
    /// the app make a random raw key and keep it with [`Secrets::set`].
    fn new_cache_key(&self) -> Result<Option<String>, AppError> {
        Ok(None)
    }
}

/// Secrets held in memory, for tests and for a window driven without a
/// keyring.
#[derive(Default)]
pub struct MemorySecrets(Mutex<std::collections::HashMap<String, String>>);

impl Secrets for MemorySecrets {
    fn get(&self, name: &str) -> Result<Option<String>, AppError> {
        Ok(self.lock().get(name).cloned())
    }
    fn set(&self, name: &str, value: &str) -> Result<(), AppError> {
        self.lock().insert(name.to_owned(), value.to_owned());
        Ok(())
    }
    fn delete(&self, name: &str) -> Result<(), AppError> {
        self.lock().remove(name);
        Ok(())
    }
}

impl MemorySecrets {
    fn lock(&self) -> MutexGuard<'_, std::collections::HashMap<String, String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The names secrets are kept under.
pub const PASSWORD_SECRET: &str = "erp-password";
pub const CACHE_KEY_SECRET: &str = "cache-key";

/// The app's state: the cache the window reads, and the sync beside it.
pub struct App {
    data_dir: PathBuf,
    secrets: Arc<dyn Secrets>,
    /// The window's connection to the cache; `None` until set up. The sync
    /// writes through a connection of its own, so reads never wait for a
    /// sync (SQLite's WAL lets them run side by side).
    store: Mutex<Option<Store>>,
    /// One sync at a time.
    sync_lock: tokio::sync::Mutex<()>,
    connectivity: Mutex<Connectivity>,
    /// The logged-in ERP connection, kept between syncs.
    erp: tokio::sync::Mutex<Option<Arc<Tryton>>>,
    /// Wakes the background sync (after something was written to send).
    wake: tokio::sync::Notify,
    erp_timeout: Duration,
    /// Plain http:// to an ERP not on this computer, allowed only by the
    /// administrator (FIELDBOOK_ALLOW_INSECURE_HTTP=1, as for the CLI).
    allow_insecure_http: bool,
    /// What the connect page offers before anything is connected (an
    /// administrator's preset, the demo's Tryton).
    suggested_erp: Option<ErpInfo>,
    /// Whether connecting moves aside a cache the secrets cannot open (the
    /// window, whose keyring may have lost the key) or refuses while any
    /// cache is there (the CLI, whose passphrase the person may remember).
    replace_unreadable_cache: bool,
}

impl App {
    pub fn new(data_dir: PathBuf, secrets: Arc<dyn Secrets>) -> App {
        App {
            data_dir,
            secrets,
            store: Mutex::new(None),
            sync_lock: tokio::sync::Mutex::new(()),
            connectivity: Mutex::new(Connectivity::default()),
            erp: tokio::sync::Mutex::new(None),
            wake: tokio::sync::Notify::new(),
            erp_timeout: Duration::from_secs(60),
            allow_insecure_http: std::env::var("FIELDBOOK_ALLOW_INSECURE_HTTP")
                .is_ok_and(|value| matches!(value.trim(), "1" | "true" | "yes" | "on")),
            suggested_erp: None,
            replace_unreadable_cache: true,
        }
    }

    /// Connecting is refused while a cache is in the data folder, even one
    /// the secrets cannot open: it is never moved aside (the CLI, where
    /// the person chose the passphrase and may remember it).
    pub fn refusing_an_existing_cache(mut self) -> App {
        self.replace_unreadable_cache = false;
        self
    }

    /// Allows plain http:// to an ERP not on this computer, as the
    /// administrator asked (the CLI's `--allow-insecure-http`).
    pub fn allowing_insecure_http(mut self, allow: bool) -> App {
        self.allow_insecure_http |= allow;
        self
    }

    /// Offers this ERP on the connect page (the password is still asked).
    pub fn with_suggested_erp(mut self, erp: ErpInfo) -> App {
        self.suggested_erp = Some(erp);
        self
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    fn cache_path(&self) -> PathBuf {
        self.data_dir.join("cache.db")
    }

    fn settings_path(&self) -> PathBuf {
        self.data_dir.join("settings.json")
    }

    /// Opens the cache if it is there and its key is in the keyring, and
    /// says where the app stands.
    pub fn session(&self) -> Result<Session, AppError> {
        let mut slot = self.store_slot();
        if slot.is_none()
            && self.cache_path().exists()
            && let Some(key) = self.secrets.get(CACHE_KEY_SECRET)?
        {
            *slot = Some(Store::open(&self.cache_path(), &cache_key(key)?)?);
            // The background sync waits for a cache to sync.
            self.wake.notify_one();
        }
        let erp = match slot.as_ref() {
            Some(store) => store.erp_link()?.map(erp_info),
            None => self.suggested_erp.clone(),
        };
        Ok(Session {
            needs_setup: slot.is_none(),
            erp,
            settings: self.settings()?,
        })
    }

    /// Opens the cache with the key the front end's secrets hold, for a
    /// front end that works on an existing cache only (the CLI). Refused,
    /// saying so, when there is no cache or no key for it.
    pub fn open(&self) -> Result<(), AppError> {
        let mut slot = self.store_slot();
        if slot.is_some() {
            return Ok(());
        }
        if !self.cache_path().exists() {
            return Err(StoreError::Missing {
                path: self.cache_path(),
            }
            .into());
        }
        let key = self
            .secrets
            .get(CACHE_KEY_SECRET)?
            .ok_or_else(sync::not_connected)?;
        *slot = Some(Store::open(&self.cache_path(), &cache_key(key)?)?);
        Ok(())
    }

    /// Runs `read` on the cache as it is, for a front end that prints the
    /// cache's own views (the CLI's text and JSON). Nothing is written.
    pub fn read<T>(
        &self,
        read: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, AppError> {
        self.with_store(|store| Ok(read(store)?))
    }

    /// First run (or after signing out): checks the address, database,
    /// login and password against the ERP, then keeps the password and the
    /// cache key with the front end's secrets (a new random key, or the
    /// passphrase the person chose: [`Secrets::new_cache_key`]) and creates
    /// the encrypted cache. Nothing is written unless the ERP accepts the
    /// login. A cache already there is used if the secrets open it;
    /// otherwise it is moved aside, or, for an app
    /// [`refusing_an_existing_cache`](App::refusing_an_existing_cache),
    /// connecting is refused.
    pub async fn connect(&self, form: ConnectForm) -> Result<Session, AppError> {
        if !self.replace_unreadable_cache && self.cache_path().exists() {
            return Err(StoreError::AlreadyExists {
                path: self.cache_path(),
            }
            .into());
        }
        for (field, value) in [
            ("url", &form.url),
            ("database", &form.database),
            ("login", &form.login),
            ("password", &form.password),
        ] {
            if value.trim().is_empty() {
                return Err(AppError::new(
                    "errors.connect.missing",
                    format!("the {field} is missing: fill it in"),
                )
                .with("field", field));
            }
        }
        if self.store_slot().is_some() || self.cache_opens()? {
            return Err(AppError::new(
                "errors.connect.already",
                "Fieldbook is already connected: sign out in the settings first",
            ));
        }
        let url = form.url.trim().to_owned();
        let erp = Tryton::connect(TrytonConfig {
            timeout: self.erp_timeout,
            allow_insecure_http: self.allow_insecure_http,
            ..TrytonConfig::new(
                url.clone(),
                form.database.trim(),
                form.login.trim(),
                form.password.clone(),
            )
        })
        .await?;
        // A cache left by signing out (or whose key the keyring lost) cannot
        // be read without its key: it is moved aside, never deleted, and a
        // new one is made.
        if self.cache_path().exists() {
            // A name no earlier cache moved aside has (two in one second
            // get a number), so that nothing is overwritten.
            let stamp = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            let stamp = (0..)
                .map(|n| match n {
                    0 => stamp.clone(),
                    n => format!("{stamp}-{n}"),
                })
                .find(|stamp| {
                    ["", "-wal", "-shm"].iter().all(|suffix| {
                        !self
                            .data_dir
                            .join(format!("cache-unreadable-{stamp}.db{suffix}"))
                            .exists()
                    })
                })
                .expect("some number is free");
            for suffix in ["", "-wal", "-shm"] {
                let path = PathBuf::from(format!("{}{suffix}", self.cache_path().display()));
                if path.exists() {
                    let aside = self
                        .data_dir
                        .join(format!("cache-unreadable-{stamp}.db{suffix}"));
                    std::fs::rename(&path, &aside).map_err(|error| {
                        AppError::new(
                            "errors.cache.other",
                            format!(
                                "cannot move the old cache {} aside: {error}",
                                path.display()
                            ),
                        )
                        .of_kind(ErrorKind::System)
                    })?;
                }
            }
        }
        std::fs::create_dir_all(&self.data_dir).map_err(|error| {
            AppError::new(
                "errors.cache.other",
                format!(
                    "cannot create the data folder {}: {error}",
                    self.data_dir.display()
                ),
            )
            .of_kind(ErrorKind::System)
        })?;
        let key = match self.secrets.new_cache_key()? {
            Some(chosen) => chosen,
            None => new_cache_key()?,
        };
        self.secrets.set(PASSWORD_SECRET, &form.password)?;
        if let Err(error) = self.secrets.set(CACHE_KEY_SECRET, &key) {
            let _ = self.secrets.delete(PASSWORD_SECRET);
            return Err(error);
        }
        let created = Store::create(&self.cache_path(), &cache_key(key)?).and_then(|mut store| {
            store.set_erp_link(&ErpLink {
                url,
                database: form.database.trim().to_owned(),
                login: form.login.trim().to_owned(),
                created_at: Utc::now(),
            })?;
            Ok(store)
        });
        let store = match created {
            Ok(store) => store,
            Err(error) => {
                // No cache, so no secrets for it either.
                let _ = self.secrets.delete(CACHE_KEY_SECRET);
                let _ = self.secrets.delete(PASSWORD_SECRET);
                return Err(error.into());
            }
        };
        *self.store_slot() = Some(store);
        *self.erp.lock().await = Some(Arc::new(erp));
        self.session()
    }

    /// Whether the cache on disk opens with the keyring's key. One that
    /// does not (its key damaged or gone, the file damaged) is no
    /// connection to keep: connecting again moves it aside.
    fn cache_opens(&self) -> Result<bool, AppError> {
        if !self.cache_path().exists() {
            return Ok(false);
        }
        let Some(key) = self.secrets.get(CACHE_KEY_SECRET)? else {
            return Ok(false);
        };
        Ok(cache_key(key)
            .and_then(|key| Ok(Store::open(&self.cache_path(), &key)?))
            .is_ok())
    }

    /// Forgets the password and the cache key (the keyring entries go; the
    /// cache stays on disk, encrypted, and unreadable without them). Refused
    /// while anything written here has not reached the ERP, since it would
    /// be lost.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        let _sync = self.sync_lock.lock().await;
        {
            // One hold on the cache from the count to the end, so nothing is
            // saved in between that the forgotten key would lock away.
            let mut slot = self.store_slot();
            let Some(store) = slot.as_ref() else {
                return Err(AppError::new(
                    "errors.not_connected",
                    "Fieldbook is not connected to an ERP: there is nothing to sign out of",
                ));
            };
            let (pending, rejected) = store.outbox_counts()?;
            if pending + rejected > 0 {
                return Err(AppError::new(
                    "errors.sign_out.unsent",
                    format!(
                        "{} outbox entries have not reached the ERP and would be lost: sync them, or discard them, first",
                        pending + rejected
                    ),
                )
                .with("count", pending + rejected));
            }
            self.secrets.delete(PASSWORD_SECRET)?;
            self.secrets.delete(CACHE_KEY_SECRET)?;
            *slot = None;
        }
        *self.erp.lock().await = None;
        *self.connectivity_slot() = Connectivity::default();
        Ok(())
    }

    /// Fieldbook's version and this profile's folders.
    pub fn about(&self, folders: &local::Folders) -> wire::About {
        wire::About {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            data_dir: folders.data.display().to_string(),
            log_dir: folders.logs.display().to_string(),
        }
    }

    pub fn settings(&self) -> Result<Settings, AppError> {
        match std::fs::read_to_string(self.settings_path()) {
            Ok(text) => serde_json::from_str(&text).map_err(|error| {
                AppError::new(
                    "errors.settings.unreadable",
                    format!(
                        "the settings file {} cannot be read ({error}): delete it to start from the defaults",
                        self.settings_path().display()
                    ),
                )
                .of_kind(ErrorKind::System)
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(error) => Err(AppError::new(
                "errors.settings.unreadable",
                format!("cannot read {}: {error}", self.settings_path().display()),
            )
            .of_kind(ErrorKind::System)),
        }
    }

    pub fn save_settings(&self, settings: Settings) -> Result<Settings, AppError> {
        if let Some(language) = &settings.language
            && !["zh-CN", "en"].contains(&language.as_str())
        {
            return Err(AppError::new(
                "errors.settings.language",
                format!("no language {language:?}: choose zh-CN or en"),
            )
            .with("language", language));
        }
        if !(30..=86_400).contains(&settings.sync_interval_seconds) {
            return Err(AppError::new(
                "errors.settings.interval",
                "the sync interval must be from 30 seconds to 24 hours",
            ));
        }
        std::fs::create_dir_all(&self.data_dir)
            .and_then(|()| {
                let text =
                    serde_json::to_string_pretty(&settings).map_err(std::io::Error::other)?;
                // Written whole, then renamed: a crash never leaves half a file.
                let partial = self.settings_path().with_extension("json.partial");
                std::fs::write(&partial, text)?;
                std::fs::rename(&partial, self.settings_path())
            })
            .map_err(|error| {
                AppError::new(
                    "errors.settings.unwritable",
                    format!(
                        "cannot save the settings in {}: {error}",
                        self.data_dir.display()
                    ),
                )
                .of_kind(ErrorKind::System)
            })?;
        self.wake.notify_one();
        Ok(settings)
    }

    pub fn connectivity(&self) -> Connectivity {
        self.connectivity_slot().clone()
    }

    /// Runs `read` on the window's cache connection.
    fn with_store<T>(
        &self,
        read: impl FnOnce(&mut Store) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        let mut slot = self.store_slot();
        let store = slot.as_mut().ok_or_else(sync::not_connected)?;
        read(store)
    }

    fn store_slot(&self) -> MutexGuard<'_, Option<Store>> {
        // A panic while holding the lock leaves the connection as SQLite
        // left it: every write is one transaction, so it is still whole.
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connectivity_slot(&self) -> MutexGuard<'_, Connectivity> {
        self.connectivity
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn erp_info(link: ErpLink) -> ErpInfo {
    ErpInfo {
        url: link.url,
        database: link.database,
        login: link.login,
    }
}

/// How the keyring holds a raw cache key: this prefix, then 64 hex digits.
const RAW_KEY: &str = "raw:";

/// The cache's key from its keyring entry: raw (the prefix), or a
/// passphrase SQLCipher derives the key from (what builds before the raw
/// key kept, still read).
fn cache_key(key: String) -> Result<CacheKey, AppError> {
    match key.strip_prefix(RAW_KEY) {
        Some(hex) => CacheKey::raw(hex),
        None => CacheKey::new(key),
    }
    .map_err(AppError::from)
}

/// 256 random bits from the OS, as the keyring keeps them: the cache's raw
/// key, which nobody types, so it needs no derivation (which would cost
/// every open of the cache, the window's start among them, about 0.15 s).
fn new_cache_key() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| {
        AppError::new(
            "errors.cache.other",
            format!("the system gave no random numbers for the cache key: {error}"),
        )
        .of_kind(ErrorKind::System)
    })?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!("{RAW_KEY}{hex}"))
}

#[cfg(test)]
mod tests;

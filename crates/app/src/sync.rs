//! Syncing: on demand and in the background while the window runs
//! ([`App::sync`], [`run_background`]), and from the CLI
//! ([`App::sync_reports`], which both run). A sync pushes the outbox first,
//! then pulls, so the cache shows the ERP's view of what was just sent. It
//! writes through a cache connection of its own, so the window keeps
//! reading while it runs.

use crate::wire::{Answer, SyncEvent, SyncSummary};
use crate::{App, AppError, CACHE_KEY_SECRET, ErrorKind, PASSWORD_SECRET, cache_key};
use chrono::Utc;
use fieldbook_erp::tryton::{Tryton, TrytonConfig};
use fieldbook_store::{ErpLink, Figure, Store, StoreError};
use fieldbook_sync::{Progress, PushOptions, PushReport, SyncOptions, SyncReport};
use std::sync::Arc;
use std::time::Duration;

/// How soon the background sync tries again while the ERP cannot be
/// reached: often enough that the outbox drains soon after the connection
/// is back, rarely enough to cost nothing (a refused connection is
/// immediate).
const OFFLINE_RETRY: Duration = Duration::from_secs(10);

/// The error code that means the ERP cannot be reached at all.
const OFFLINE: &str = "errors.erp.unreachable";

/// Whether a sync was asked for by the salesperson or runs by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Sends every entry that may go now, back-off or not.
    Person,
    /// Respects each entry's back-off after a passing failure.
    Background,
}

/// How one sync runs.
#[derive(Clone, Debug, Default)]
pub struct SyncRun {
    /// Leave entries waiting out a back-off after a passing failure (the
    /// background loop); a person asking to sync sends them.
    pub respect_backoff: bool,
    pub options: SyncOptions,
}

/// What one sync did: the push's and the pull's reports, and how many
/// requests the ERP served.
#[derive(Clone, Debug)]
pub struct SyncReports {
    pub pushed: PushReport,
    pub pulled: SyncReport,
    pub requests: u64,
}

/// While held, no sync runs: see [`App::no_sync_running`].
pub(crate) struct NoSync<'app> {
    _running: tokio::sync::MutexGuard<'app, ()>,
    _file: std::fs::File,
}

/// Clears the "syncing" mark when dropped.
struct Syncing<'app>(&'app App);

impl Drop for Syncing<'_> {
    fn drop(&mut self) {
        self.0.connectivity_slot().syncing = false;
    }
}

impl App {
    /// One sync: push, then pull, reporting as it goes. Refused while
    /// another runs.
    pub async fn sync(
        &self,
        trigger: Trigger,
        on_event: &(dyn Fn(SyncEvent) + Send + Sync),
    ) -> Result<SyncSummary, AppError> {
        let Ok(_running) = self.sync_lock.try_lock() else {
            return Err(AppError::new(
                "errors.sync.running",
                "a sync is already running: it shows its progress on the home page",
            )
            .of_kind(ErrorKind::Cache)
            .transient());
        };
        self.connectivity_slot().syncing = true;
        // However the sync ends, even by a panic, the window stops showing
        // it as running.
        let _syncing = Syncing(self);
        on_event(SyncEvent::Started);
        let result = self.sync_once(trigger, on_event).await;
        {
            let mut connectivity = self.connectivity_slot();
            connectivity.syncing = false;
            connectivity.last_attempt_at = Some(Utc::now());
            match &result {
                Ok(_) => {
                    connectivity.online = Some(true);
                    connectivity.last_error = None;
                }
                Err(error) => {
                    // Offline means nothing answers at the ERP's address. A
                    // refusal, a timeout or a server error is an answer of
                    // sorts: the entries' back-off applies to them.
                    if error.code.starts_with("errors.erp.") {
                        connectivity.online = Some(error.code != OFFLINE);
                    }
                    connectivity.last_error = Some(error.clone());
                }
            }
        }
        match &result {
            Ok(summary) => on_event(SyncEvent::Finished {
                summary: summary.clone(),
            }),
            Err(error) => {
                tracing::warn!(code = %error.code, %error, "sync failed");
                if error.transient {
                    // The next attempt logs in afresh.
                    *self.erp.lock().await = None;
                }
                on_event(SyncEvent::Failed {
                    error: error.clone(),
                })
            }
        }
        result
    }

    async fn sync_once(
        &self,
        trigger: Trigger,
        on_event: &(dyn Fn(SyncEvent) + Send + Sync),
    ) -> Result<SyncSummary, AppError> {
        // Back-off spares an ERP that keeps failing; one that was unreachable
        // and answers again gets every waiting entry at once, so the outbox
        // drains as soon as the connection is back.
        let back_online = self.connectivity_slot().online == Some(false);
        let run = SyncRun {
            respect_backoff: trigger == Trigger::Background && !back_online,
            options: SyncOptions::default(),
        };
        // Removals are counted in the summary; the progress bar shows what
        // is being fetched.
        let mut on_progress = |progress: Progress| match progress {
            Progress::Pulling {
                entity,
                done,
                total,
            } => on_event(SyncEvent::Pulling {
                entity: entity.name().to_owned(),
                done,
                total,
            }),
            Progress::Removed { .. } => {}
            Progress::Sending { done, total } => on_event(SyncEvent::Sending { done, total }),
            Progress::Refreshing {
                figure,
                done,
                total,
            } => on_event(SyncEvent::Refreshing {
                figure: match figure {
                    Figure::Stock => "stock",
                    Figure::Credit => "credit",
                }
                .to_owned(),
                done,
                total,
            }),
        };
        let SyncReports {
            pushed,
            pulled: report,
            ..
        } = self.sync_reports(&run, &mut on_progress).await?;
        let mut summary = SyncSummary {
            pulled: report.pulled.values().sum(),
            removed: report.removed.values().sum(),
            finished_at: Some(Utc::now()),
            ..SyncSummary::default()
        };
        for (entry, sale) in &pushed.accepted {
            summary.accepted.push(Answer {
                entry: *entry,
                number: sale.number.clone(),
                message: None,
            });
        }
        for (entry, customer) in &pushed.customers {
            summary.accepted.push(Answer {
                entry: *entry,
                number: customer.code.clone(),
                message: None,
            });
        }
        for (entry, request) in &pushed.requests {
            summary.accepted.push(Answer {
                entry: *entry,
                number: request.number.clone(),
                message: None,
            });
        }
        for (entry, message) in pushed
            .rejected
            .iter()
            .chain(&pushed.warnings)
            .chain(&pushed.not_permitted)
        {
            summary.refused.push(Answer {
                entry: *entry,
                number: None,
                message: Some(message.clone()),
            });
        }
        summary.accepted.sort_by_key(|answer| answer.entry);
        summary.refused.sort_by_key(|answer| answer.entry);
        Ok(summary)
    }

    /// One push then pull on the cache, with everything each did: the
    /// whole of a sync as both front ends run it (the window through
    /// [`App::sync`], which also tracks connectivity; the CLI directly,
    /// printing the reports). Holds `sync.lock` while it runs, so another
    /// program's sync or change to an entry waits its turn.
    pub async fn sync_reports(
        &self,
        run: &SyncRun,
        on_progress: &mut (dyn FnMut(Progress) + Send),
    ) -> Result<SyncReports, AppError> {
        let key = self
            .secrets
            .get(CACHE_KEY_SECRET)?
            .ok_or_else(not_connected)?;
        if !self.cache_path().exists() {
            return Err(not_connected());
        }
        // Another program (the CLI) may be syncing or changing an entry.
        let _sending = self.sending_file_lock()?;
        let mut store = Store::open(&self.cache_path(), &cache_key(key)?)?;
        let link = store.erp_link()?.ok_or_else(not_connected)?;
        let erp = self.erp_connection(link).await?;
        let before = erp.calls();
        let pushed = fieldbook_sync::push_reporting(
            &*erp,
            &mut store,
            PushOptions {
                respect_backoff: run.respect_backoff,
            },
            &Utc::now,
            on_progress,
        )
        .await?;
        let pulled =
            fieldbook_sync::pull(&erp, &mut store, &run.options, &Utc::now, on_progress).await?;
        // What support asks first: did it send, and what came back.
        tracing::info!(
            sales_accepted = pushed.accepted.len(),
            customers_sent = pushed.customers.len(),
            requests_sent = pushed.requests.len(),
            refused = pushed.rejected.len(),
            warnings = pushed.warnings.len(),
            not_permitted = pushed.not_permitted.len(),
            records_pulled = pulled.pulled.values().sum::<u64>(),
            records_removed = pulled.removed.values().sum::<u64>(),
            not_readable = pulled.not_readable.len(),
            erp_requests = erp.calls() - before,
            "synced"
        );
        Ok(SyncReports {
            pushed,
            pulled,
            requests: erp.calls() - before,
        })
    }

    /// The logged-in ERP connection, logging in with the keyring's password
    /// when there is none yet.
    async fn erp_connection(&self, link: ErpLink) -> Result<Arc<Tryton>, AppError> {
        let mut slot = self.erp.lock().await;
        if let Some(erp) = slot.as_ref() {
            return Ok(erp.clone());
        }
        let password = self.secrets.get(PASSWORD_SECRET)?.ok_or_else(|| {
            AppError::new(
                "errors.secrets.no_password",
                "the ERP password is not in the keyring any more: sign out and connect again",
            )
        })?;
        let erp = Arc::new(
            Tryton::connect(TrytonConfig {
                timeout: self.erp_timeout,
                allow_insecure_http: self.allow_insecure_http,
                ..TrytonConfig::new(link.url, link.database, link.login, password)
            })
            .await?,
        );
        *slot = Some(erp.clone());
        Ok(erp)
    }

    /// Holds off syncs while an entry a sync could be sending changes
    /// (edit, retry, discard); refused while one runs, in this process or
    /// another (the window and the CLI on the same cache).
    pub(crate) fn no_sync_running(&self) -> Result<NoSync<'_>, AppError> {
        let running = self.sync_lock.try_lock().map_err(|_| {
            AppError::new(
                "errors.sync.running",
                "a sync is sending the outbox right now: try again when it has finished",
            )
            .of_kind(ErrorKind::Cache)
            .transient()
        })?;
        Ok(NoSync {
            _running: running,
            _file: self.sending_file_lock()?,
        })
    }

    /// `sync.lock` in the data folder, held by whoever syncs or changes an
    /// entry, whichever program it is; refused at once while another holds
    /// it. Released when the file is dropped (or the process ends).
    pub(crate) fn sending_file_lock(&self) -> Result<std::fs::File, AppError> {
        let path = self.data_dir.join("sync.lock");
        let cannot = |error: std::io::Error| {
            AppError::new(
                "errors.cache.other",
                format!("cannot lock {}: {error}", path.display()),
            )
            .of_kind(ErrorKind::System)
        };
        let file = std::fs::File::create(&path).map_err(cannot)?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Locked {
                path: self.cache_path(),
            }
            .into()),
            Err(std::fs::TryLockError::Error(error)) => Err(cannot(error)),
        }
    }

    /// How long until the first entry backing off may be sent again.
    fn next_retry(&self) -> Option<Duration> {
        let now = Utc::now();
        self.with_store(|store| {
            Ok(store
                .outbox()?
                .iter()
                .filter(|entry| entry.state == fieldbook_store::EntryState::Pending)
                .filter_map(|entry| entry.next_attempt_at)
                // One already due went with the sync just made, or that
                // sync failed before sending: either way, not a reason to
                // try again at once.
                .filter(|at| *at > now)
                .min())
        })
        .ok()
        .flatten()
        .map(|at| (at - now).to_std().unwrap_or_default() + Duration::from_secs(1))
    }

    /// Wakes the background sync now (after something was written to send,
    /// or the settings changed).
    pub fn wake_sync(&self) {
        self.wake.notify_one();
    }
}

/// Syncs while the app runs: every `sync_interval_seconds` while the ERP
/// answers, every few seconds while it does not (so the outbox drains soon
/// after the connection is back), and at once when woken. Never returns.
pub async fn run_background(app: Arc<App>, on_event: impl Fn(SyncEvent) + Send + Sync) {
    loop {
        let ready = app.store_slot().is_some();
        if ready {
            // Failures are reported through `on_event` and the connectivity.
            if let Err(error) = app.sync(Trigger::Background, &on_event).await
                && error.code == "errors.sync.running"
            {
                // Woken while a person's sync runs: what woke us may have
                // come after it looked, so go again once it is done.
                drop(app.sync_lock.lock().await);
                continue;
            }
        }
        let interval = Duration::from_secs(
            app.settings()
                .map(|settings| settings.sync_interval_seconds)
                .unwrap_or(300)
                .into(),
        );
        let wait = match (ready, app.connectivity().online) {
            (true, Some(false)) => OFFLINE_RETRY,
            // An entry backing off after a passing failure goes when its
            // time comes, not at the next interval.
            (true, _) => app
                .next_retry()
                .map_or(interval, |retry| retry.min(interval)),
            (false, _) => interval,
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = app.wake.notified() => {}
        }
    }
}

pub(crate) fn not_connected() -> AppError {
    AppError::new(
        "errors.not_connected",
        "Fieldbook is not connected to an ERP yet: connect first",
    )
    .of_kind(ErrorKind::Cache)
}

//! Sending the outbox: each entry that may go now, in order, once; the
//! ERP's answer recorded on the entry.
//!
//! Exactly once rests on two things: the entry's UUID travels with the
//! record and the ERP is asked for it before anything is created (see
//! [`Erp::send_sale`]), and an entry is marked accepted only after the
//! ERP's answer is in hand. A crash between the two leaves the entry
//! pending; sending it again finds the record the ERP already has.
//!
//! The entries that may go are sent in order: an entry waits for the one it
//! depends on, and after a passing failure (ERP down, timeout) for a
//! [`backoff`] doubling from 30 s to 30 min, spread per entry (the
//! background loop respects it; a person asking to sync now does not). An
//! entry the ERP user lacks the right to send waits with the reason while
//! the others go. A rejection or a warning stops only that entry and what
//! depends on it, in the ERP's own words, until the salesperson edits and
//! resends (a warning is then skipped once) or discards it.
//!
//! Found in the ERP already, an entry's record is the answer when it stands
//! as far as the entry asks (quoted, confirmed): only the answer was lost.
//! When it differs from the entry (changed in the ERP meanwhile), the entry
//! is done with the differences in plain words
//! ([`fieldbook_core::SaleDraft::differences`]), never as if it held what was
//! typed. A create refused while the uuid turns up in the ERP (another push
//! of the same entry at the same moment) is
//! [`ErpError::SentMeanwhile`], passing, not a refusal. At the end of every
//! push, discarded entries a request once carried are looked up
//! ([`Erp::held`]) and reported while the ERP holds them.

use crate::{Progress, SyncError};
use chrono::{DateTime, Duration, Utc};
use fieldbook_erp::{Erp, ErpError, SentCustomer, SentRequest, SentSale};
use fieldbook_store::{
    AcceptedCustomer, DiscardedEntry, EntryPayload, ErpWarning, OutboxEntry, Refusal, Store,
    StoreError,
};

/// What a push did, entry by entry (by sending order).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PushReport {
    /// Quotes and orders the ERP accepted, with its number and totals.
    pub accepted: Vec<(i64, SentSale)>,
    /// Customer changes the ERP took, with the edits where its value won.
    pub customers: Vec<(i64, SentCustomer)>,
    /// After-sales requests the ERP filed, with its number and state.
    pub requests: Vec<(i64, SentRequest)>,
    /// Refused by the ERP, with its words; each waits for the salesperson.
    pub rejected: Vec<(i64, String)>,
    /// Warnings the salesperson must acknowledge before the entry is resent.
    pub warnings: Vec<(i64, String)>,
    /// Entries the ERP user lacks the right to send (to create sales,
    /// customers or requests), with why: each waits, with its back-off,
    /// for the administrator to give the right; the others went on.
    pub not_permitted: Vec<(i64, String)>,
    /// Entries discarded here that the ERP holds all the same (left by a
    /// refusal half-way), with what it holds: reported at every sync until
    /// the ERP no longer holds them alive.
    pub discarded_in_erp: Vec<DiscardedEntry>,
}

#[derive(Clone, Copy, Debug)]
pub struct PushOptions {
    /// Skip entries still waiting out their back-off after a passing
    /// failure (the background loop); a person asking to sync now sends
    /// them anyway.
    pub respect_backoff: bool,
}

/// The wait before entry `uuid` is tried again after `attempts` passing
/// failures: doubling from 30 s up to 30 min, spread by up to a fifth so
/// that many laptops coming back online do not all retry at once. The
/// spread comes from the uuid, so it differs between entries and devices
/// without a random source.
pub fn backoff(uuid: &str, attempts: u32) -> Duration {
    let base = 30i64.saturating_mul(1i64 << attempts.min(6)).min(30 * 60);
    let spread = uuid.bytes().fold(0u32, |hash, byte| {
        hash.wrapping_mul(31).wrapping_add(u32::from(byte))
    }) % 1000;
    Duration::milliseconds(base * 1000 + base * i64::from(spread) / 5)
}

/// Sends every entry that may go now. Stops at the first passing failure
/// (the ERP is down or slow: the rest would fail the same way) and returns
/// it, after recording it on the entry; a rejection or warning only stops
/// that entry and what depends on it.
pub async fn push<E: Erp>(
    erp: &E,
    store: &mut Store,
    options: PushOptions,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
) -> Result<PushReport, SyncError> {
    push_reporting(erp, store, options, now, &mut |_| {}).await
}

/// [`push`], telling `on_progress` how many entries the ERP has answered
/// so far ([`Progress::Sending`]), before the first and after each.
pub async fn push_reporting<E: Erp>(
    erp: &E,
    store: &mut Store,
    options: PushOptions,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    on_progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<PushReport, SyncError> {
    let mut report = PushReport::default();
    let mut done = 0;
    let mut total = 0;
    loop {
        let entries: Vec<_> = store
            .sendable(options.respect_backoff.then(now))?
            .into_iter()
            // Once per push: an entry refused for a right stays pending.
            .filter(|entry| {
                !report
                    .not_permitted
                    .iter()
                    .any(|(seq, _)| *seq == entry.seq)
            })
            .collect();
        if entries.is_empty() {
            break;
        }
        total = total.max(done + entries.len() as u64);
        on_progress(Progress::Sending { done, total });
        let mut progressed = false;
        for entry in entries {
            // Every answer but a passing failure (which ends the push) takes
            // the entry out of the pending state, so no entry is sent twice
            // in one push.
            progressed |= send(erp, store, &entry, now, &mut report).await?;
            done += 1;
            on_progress(Progress::Sending { done, total });
        }
        if !progressed {
            break;
        }
    }
    look_up_discarded(erp, store, now, &mut report).await?;
    Ok(report)
}

/// Looks up, by uuid, each discarded entry a request once carried:
/// forgotten once the ERP proves it holds nothing alive of it, reported
/// while it does. A lookup the ERP refuses (the user may not read that
/// kind of record) keeps the entry for a later sync; a passing failure
/// ends the push as any other.
async fn look_up_discarded<E: Erp>(
    erp: &E,
    store: &mut Store,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    report: &mut PushReport,
) -> Result<(), SyncError> {
    for discarded in store.discarded()? {
        let found = match erp.held(discarded.kind, &discarded.uuid).await {
            Ok(found) => found,
            Err(error) if error.is_transient() => return Err(error.into()),
            Err(error) => {
                tracing::warn!(entry = discarded.seq, %error, "cannot look up a discarded entry");
                if discarded.in_erp.is_some() {
                    report.discarded_in_erp.push(discarded);
                }
                continue;
            }
        };
        store.record_discarded_lookup(&discarded.uuid, found.as_ref(), now())?;
        if let Some(record) = found {
            report.discarded_in_erp.push(DiscardedEntry {
                in_erp: Some(record),
                checked_at: Some(now()),
                ..discarded
            });
        }
    }
    Ok(())
}

/// Sends one entry and records the answer. Returns whether the entry left
/// the pending state (so entries waiting on it may go now).
async fn send<E: Erp>(
    erp: &E,
    store: &mut Store,
    entry: &OutboxEntry,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    report: &mut PushReport,
) -> Result<bool, SyncError> {
    let acknowledged = entry.warning.as_ref().map(|warning| warning.name.as_str());
    // Ids of records written here are the ERP's by now when the entry
    // waited for the one that created them; if that one was refused or
    // discarded, this entry cannot go, and says why instead of stopping
    // every later entry and the pull.
    let unresolved = |error: StoreError| match error {
        StoreError::Refused(Refusal::NotInErpYet { id } | Refusal::UnknownRecord { id }) => {
            Ok(format!(
                "record {id} was written offline and has not reached the ERP: the entry that creates it was refused or discarded; \
                 fix it and resend, or edit this one"
            ))
        }
        other => Err(SyncError::from(other)),
    };
    // Records written here are named by the ERP's ids first, without a
    // word to the ERP.
    let ready = match &entry.payload {
        EntryPayload::Sale(draft) => store.resolved_sale(draft).map(Ready::Sale),
        EntryPayload::QuoteToOrder(change) => Ok(Ready::QuoteToOrder(&change.sale)),
        EntryPayload::NewCustomer(draft) => Ok(Ready::NewCustomer(draft)),
        EntryPayload::CustomerEdit(edit) => store.resolved_edit(edit).map(Ready::CustomerEdit),
        EntryPayload::Request(request) => store.resolved_request(request).map(Ready::Request),
    };
    let ready = match ready {
        Ok(ready) => ready,
        Err(error) => return refuse(store, entry, unresolved(error)?, now, report),
    };
    // From here the entry may reach the ERP whatever happens to its answer.
    store.mark_in_flight(entry.seq, now())?;
    let answer = match ready {
        Ready::Sale(draft) => erp
            .send_sale(&entry.uuid, &draft, acknowledged)
            .await
            .map(Answer::Sale),
        Ready::QuoteToOrder(sale) => erp.confirm_sale(sale, acknowledged).await.map(Answer::Sale),
        Ready::NewCustomer(draft) => erp
            .create_customer(&entry.uuid, draft)
            .await
            .map(Answer::Customer),
        Ready::CustomerEdit(edit) => erp.edit_customer(&edit).await.map(Answer::Customer),
        Ready::Request(request) => erp
            .file_request(&entry.uuid, &request, acknowledged)
            .await
            .map(Answer::Request),
    };
    // Where the ERP accepted a quote or order at other prices than the
    // laptop showed, the entry says so.
    let prices = match (&answer, &entry.payload) {
        (Ok(Answer::Sale(sent)), EntryPayload::Sale(draft)) => match &sent.lines {
            Some(lines) => draft.price_differences(lines, sent.untaxed, store.currency_digits()?),
            None => Vec::new(),
        },
        _ => Vec::new(),
    };
    match answer {
        Ok(Answer::Sale(sent)) if !sent.differences.is_empty() => {
            // The ERP held the sale already, with other content: its sale
            // stands and the entry says where it differs, keeping what the
            // salesperson typed.
            let words: Vec<String> = sent.differences.iter().map(|d| d.describe()).collect();
            store.record_accepted_differing(
                entry.seq,
                sent.erp_id,
                sent.number.as_deref(),
                &format!(
                    "the ERP already held this sale, with other content, and its sale stands: {}",
                    words.join("; ")
                ),
                &prices,
                now(),
            )?;
            report.accepted.push((entry.seq, sent));
            Ok(true)
        }
        Ok(Answer::Sale(sent)) => {
            store.record_accepted(
                entry.seq,
                sent.erp_id,
                sent.number.as_deref(),
                &prices,
                now(),
            )?;
            report.accepted.push((entry.seq, sent));
            Ok(true)
        }
        Ok(Answer::Customer(sent)) => {
            store.record_customer_accepted(
                entry.seq,
                &AcceptedCustomer {
                    customer_id: sent.erp_id,
                    code: sent.code.clone(),
                    ids: sent.ids.clone(),
                    conflicts: sent.conflicts.clone(),
                },
                now(),
            )?;
            report.customers.push((entry.seq, sent));
            Ok(true)
        }
        Ok(Answer::Request(sent)) => {
            store.record_request_accepted(
                entry.seq,
                sent.erp_id,
                sent.number.as_deref(),
                sent.state,
                now(),
            )?;
            report.requests.push((entry.seq, sent));
            Ok(true)
        }
        Err(ErpError::Warning { name, message }) if acknowledged != Some(name.as_str()) => {
            store.record_warning(
                entry.seq,
                &ErpWarning {
                    name,
                    text: message.clone(),
                },
                now(),
            )?;
            report.warnings.push((entry.seq, message));
            Ok(true)
        }
        Err(
            error @ (ErpError::Rejected { .. } | ErpError::Warning { .. } | ErpError::Concurrent),
        ) => {
            let message = match &error {
                ErpError::Rejected {
                    message,
                    description,
                } => match description {
                    Some(description) if !description.is_empty() => {
                        format!("{message} ({description})")
                    }
                    _ => message.clone(),
                },
                other => other.to_string(),
            };
            refuse(store, entry, message, now, report)
        }
        // Any other failure leaves the entry in flight (the ERP may have
        // it) and is kept on it, so the outbox says why it still waits. A
        // missing right is the administrator's to give, not the
        // salesperson's to fix: that entry waits and the others go; any
        // other failure (the ERP down or slow) would stop them all alike,
        // so it ends the push.
        Err(error) => {
            let at = now();
            store.record_failed_attempt(
                entry.seq,
                &error.to_string(),
                at + backoff(&entry.uuid, entry.attempts),
                at,
            )?;
            match error {
                ErpError::NotPermitted { .. } => {
                    report.not_permitted.push((entry.seq, error.to_string()));
                    Ok(false)
                }
                error => Err(error.into()),
            }
        }
    }
}

/// An entry ready to go, with the ERP's ids for records written here.
enum Ready<'entry> {
    Sale(fieldbook_core::SaleDraft),
    QuoteToOrder(&'entry fieldbook_core::SaleRef),
    NewCustomer(&'entry fieldbook_core::customers::CustomerDraft),
    CustomerEdit(fieldbook_core::customers::CustomerEdit),
    Request(fieldbook_core::requests::RequestDraft),
}

/// The ERP's answer to an entry it took.
enum Answer {
    Sale(SentSale),
    Customer(SentCustomer),
    Request(SentRequest),
}

/// Stops an entry with the reason, for the salesperson to fix.
fn refuse(
    store: &mut Store,
    entry: &OutboxEntry,
    message: String,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    report: &mut PushReport,
) -> Result<bool, SyncError> {
    store.record_rejected(entry.seq, &message, now())?;
    report.rejected.push((entry.seq, message));
    Ok(true)
}

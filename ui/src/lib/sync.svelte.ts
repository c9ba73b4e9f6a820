/**
 * What the window knows of syncing. The backend syncs by itself in the
 * background, and when the salesperson asks; either way it emits `sync`
 * events (`bindings/SyncEvent.ts`), and this module turns them into state:
 *
 * - *progress*: what the running sync is fetching and how far it is, for
 *   the progress bar;
 * - *generation*: a number bumped after every finished sync, which pages
 *   watch to reload what they show (see `resource.svelte.ts`);
 * - *connectivity*: whether the ERP answered lately (the offline badge);
 * - *answers*: what the ERP said to each outbox entry the sync sent, each
 *   shown as a toast, a refusal loudly, an acceptance quietly.
 *
 * Nothing here waits for a sync: the window keeps reading the cache while
 * one runs.
 */
import type { AppError } from './bindings/AppError';
import type { Answer } from './bindings/Answer';
import type { Connectivity } from './bindings/Connectivity';
import type { EntryRow } from './bindings/EntryRow';
import type { SyncEvent } from './bindings/SyncEvent';
import type { SyncSummary } from './bindings/SyncSummary';
import { errorText, hasMessage, t } from './i18n/index.svelte';
import { ipc, onSyncEvent, toIpcError } from './ipc';
import { toasts } from './toasts.svelte';

export type SyncProgress =
  | { phase: 'starting' }
  | { phase: 'sending'; done: number; total: number }
  | { phase: 'pulling'; entity: string; done: number; total: number | null }
  | { phase: 'refreshing'; figure: string; done: number; total: number };

/** How a sync ended, for whoever waits on one. */
export type SyncOutcome = { ok: true; summary: SyncSummary } | { ok: false; error: AppError };

export class SyncState {
  running = $state(false);
  progress = $state<SyncProgress | null>(null);
  /** Why the last sync failed; cleared by the next one that finishes. */
  lastFailure = $state<AppError | null>(null);
  lastSummary = $state<SyncSummary | null>(null);
  connectivity = $state<Connectivity | null>(null);
  generation = $state(0);

  #waiting: Array<(outcome: SyncOutcome) => void> = [];

  /** Offline means the ERP did not answer the last attempt (unknown is not offline). */
  get offline(): boolean {
    return this.connectivity?.online === false;
  }

  /** Whether a sync runs, by the events seen or by what the backend said at start. */
  get syncing(): boolean {
    return this.running || this.connectivity?.syncing === true;
  }

  /** Applies one event from the backend. */
  handle(event: SyncEvent): void {
    switch (event.event) {
      case 'started':
        this.running = true;
        this.progress = { phase: 'starting' };
        break;
      case 'sending':
        this.running = true;
        this.progress = { phase: 'sending', done: event.done, total: event.total };
        break;
      case 'pulling':
        this.running = true;
        this.progress = {
          phase: 'pulling',
          entity: event.entity,
          done: event.done,
          total: event.total,
        };
        break;
      case 'refreshing':
        this.running = true;
        this.progress = {
          phase: 'refreshing',
          figure: event.figure,
          done: event.done,
          total: event.total,
        };
        break;
      case 'finished':
        this.#ended();
        this.lastFailure = null;
        this.lastSummary = event.summary;
        this.generation += 1;
        void announce(event.summary);
        this.#settle({ ok: true, summary: event.summary });
        break;
      case 'failed':
        this.#ended();
        this.lastFailure = event.error;
        this.#settle({ ok: false, error: event.error });
        break;
    }
  }

  /** Asks the backend whether the ERP answered lately. */
  async refreshConnectivity(): Promise<void> {
    try {
      this.connectivity = await ipc.connectivity();
    } catch {
      // Not connected yet (the connect page): nothing to show.
      this.connectivity = null;
    }
  }

  /**
   * A sync the salesperson asked for. Its progress and answers arrive as
   * events like any other; only a failure to start, or the failure of this
   * very sync, is shown here (as a toast, unless `quiet`: the caller shows
   * it), since the person is waiting on it.
   */
  async syncNow({ quiet = false }: { quiet?: boolean } = {}): Promise<SyncOutcome> {
    try {
      const summary = await ipc.syncNow();
      return { ok: true, summary };
    } catch (reason) {
      const error = toIpcError(reason);
      if (error.code === RUNNING) {
        // The background sync got there first: it is as good as ours.
        toasts.note(errorText(error));
        return this.nextOutcome();
      }
      if (!quiet) toasts.alert(errorText(error));
      return { ok: false, error: error.toAppError() };
    }
  }

  /** Resolves when the running (or next) sync finishes or fails. */
  nextOutcome(): Promise<SyncOutcome> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Listens to the backend's events; returns the function that stops listening. */
  async listen(): Promise<() => void> {
    const unlisten = await onSyncEvent((event) => this.handle(event));
    await this.refreshConnectivity();
    return unlisten;
  }

  #ended(): void {
    this.running = false;
    this.progress = null;
    void this.refreshConnectivity();
  }

  #settle(outcome: SyncOutcome): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve(outcome);
  }
}

/** The code of a sync refused because another one runs. */
const RUNNING = 'errors.sync.running';

/**
 * Shows what the ERP said to each entry a sync sent. The summary names
 * entries by number only, so each is looked up for its kind and customer
 * ("Order #5 for ACME ..."); an entry discarded meanwhile is named by its
 * number alone.
 */
export async function announce(summary: SyncSummary): Promise<void> {
  for (const answer of summary.refused) {
    const entry = await lookUp(answer.entry);
    const params = {
      what: entryName(answer.entry, entry),
      customer: entry?.customer_name ?? '',
      message: answer.message ?? '',
    };
    const text = t(entry?.customer_name ? 'sync.refusedFor' : 'sync.refused', params);
    toasts.alert(text);
    // The salesperson may be in another app: the desktop tells them too
    // (without waiting for it: the window's own toasts come first).
    void notifyDesktop(t('sync.refusedTitle'), text);
  }
  for (const answer of summary.accepted) {
    const entry = await lookUp(answer.entry);
    toasts.note(acceptedText(answer, entry));
  }
}

/**
 * A desktop notification. Where the desktop has no notification service
 * the toast in the window, shown first, is the notice; the failure is
 * logged for whoever looks at the console.
 */
async function notifyDesktop(title: string, body: string): Promise<void> {
  try {
    await ipc.notify(title, body);
  } catch (reason) {
    console.warn(errorText(toIpcError(reason)));
  }
}

function acceptedText(answer: Answer, entry: EntryRow | null): string {
  const what = entryName(answer.entry, entry);
  return answer.number
    ? t('sync.acceptedAs', { what, number: answer.number })
    : t('sync.accepted', { what });
}

/** "Order #5", or "Entry #5" when its kind is unknown. */
export function entryName(number: number, entry: EntryRow | null): string {
  const kind = entry && hasMessage(`entryKind.${entry.kind}`) ? t(`entryKind.${entry.kind}`) : null;
  return kind ? t('outbox.kindNumber', { kind, entry: number }) : t('outbox.entryNumber', { entry: number });
}

async function lookUp(entry: number): Promise<EntryRow | null> {
  try {
    return await ipc.outboxEntry(entry);
  } catch {
    return null;
  }
}

export const sync = new SyncState();

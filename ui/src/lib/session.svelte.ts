/**
 * Where the app stands: still asking the backend (*loading*), unable to
 * open its data (*broken*), never connected or signed out (*setup*: the
 * connect page), or *ready*. Also the settings, and the language they
 * choose, which applies the moment it is picked.
 */
import type { ConnectForm } from './bindings/ConnectForm';
import type { ErpInfo } from './bindings/ErpInfo';
import type { Session } from './bindings/Session';
import type { Settings } from './bindings/Settings';
import { type Locale, errorText, isLocale, setLocale, systemLocale } from './i18n/index.svelte';
import { type IpcError, ipc, toIpcError } from './ipc';
import { router } from './router.svelte';
import { sync } from './sync.svelte';
import { toasts } from './toasts.svelte';

export type Phase = 'loading' | 'broken' | 'setup' | 'ready';

/** The bounds the backend accepts for the sync interval, in seconds. */
export const MIN_INTERVAL_SECONDS = 30;
export const MAX_INTERVAL_SECONDS = 24 * 60 * 60;

export class SessionState {
  phase = $state<Phase>('loading');
  erp = $state<ErpInfo | null>(null);
  settings = $state<Settings>({ language: null, sync_interval_seconds: 300 });
  /** Why the session could not be read (phase `broken`). */
  error = $state<IpcError | null>(null);

  /** Asks the backend where things stand, once, when the window opens. */
  async start(): Promise<void> {
    try {
      this.apply(await ipc.session());
    } catch (reason) {
      this.error = toIpcError(reason);
      this.phase = 'broken';
    }
  }

  apply(session: Session): void {
    this.error = null;
    this.erp = session.erp;
    this.settings = session.settings;
    setLocale(languageOf(session.settings));
    this.phase = session.needs_setup ? 'setup' : 'ready';
  }

  /**
   * Checks the form against the ERP and creates the cache; then shows the
   * first sync's progress. Rejects with the backend's error (the connect
   * page shows it by its code).
   */
  async connect(form: ConnectForm): Promise<void> {
    this.apply(await ipc.connect(form));
    router.reset({ page: 'first-sync' });
    await sync.refreshConnectivity();
  }

  /**
   * Switches the language now, and keeps the choice (`null` follows the
   * system). Saving can fail (a read-only data folder); the switch stands
   * for this run anyway, and the toast says it was not kept.
   */
  async chooseLanguage(language: Locale | null): Promise<void> {
    setLocale(language ?? systemLocale());
    try {
      this.settings = await ipc.saveSettings({ ...this.settings, language });
    } catch (reason) {
      toasts.alert(errorText(toIpcError(reason)));
    }
  }

  /** Saves the sync interval; rejects with the backend's error. */
  async saveInterval(seconds: number): Promise<void> {
    this.settings = await ipc.saveSettings({ ...this.settings, sync_interval_seconds: seconds });
  }

  /** Signs out (refused while the outbox holds anything) and shows the connect page. */
  async signOut(): Promise<void> {
    await ipc.signOut();
    this.apply(await ipc.session());
    router.reset({ page: 'home' });
    sync.connectivity = null;
  }
}

/** The language settings choose, or the system's. */
export function languageOf(settings: Settings): Locale {
  return isLocale(settings.language) ? settings.language : systemLocale();
}

export const session = new SessionState();

/**
 * The window's one door to the backend. Every Tauri command and the `sync`
 * event go through this module, and nothing else imports `@tauri-apps/api`.
 *
 * Terms:
 * - *command*: a `#[tauri::command]` in `src-tauri`, one line over
 *   `fieldbook_app::App`; its arguments are camelCase here, snake_case there.
 * - *AppError*: what every command rejects with (`bindings/AppError.ts`): a
 *   stable dotted `code` that is also the translation key, the `params` the
 *   translation fills in, the engine's English `message`, and whether trying
 *   again unchanged can help (`transient`).
 * - *IpcError*: an AppError as a real `Error`, so `try`/`catch` and stack
 *   traces work; anything else a command rejects with (a string from Tauri
 *   itself, a bug) becomes one with the code `errors.unknown`.
 */
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { AppError } from './bindings/AppError';
import type { Connectivity } from './bindings/Connectivity';
import type { ConnectForm } from './bindings/ConnectForm';
import type { CustomerDetail } from './bindings/CustomerDetail';
import type { CustomerEditForm } from './bindings/CustomerEditForm';
import type { CustomerForm } from './bindings/CustomerForm';
import type { DiscardedRow } from './bindings/DiscardedRow';
import type { EntryRow } from './bindings/EntryRow';
import type { Hit } from './bindings/Hit';
import type { Home } from './bindings/Home';
import type { ProductDetail } from './bindings/ProductDetail';
import type { QuoteToSend } from './bindings/QuoteToSend';
import type { RequestForm } from './bindings/RequestForm';
import type { SaleForm } from './bindings/SaleForm';
import type { SalePreview } from './bindings/SalePreview';
import type { Saved } from './bindings/Saved';
import type { SavedCustomer } from './bindings/SavedCustomer';
import type { Session } from './bindings/Session';
import type { Settings } from './bindings/Settings';
import type { About } from './bindings/About';
import type { SyncEvent } from './bindings/SyncEvent';
import type { SyncSummary } from './bindings/SyncSummary';
import type { WarehouseRow } from './bindings/WarehouseRow';

/** The code of a rejection that was not an AppError. */
export const UNKNOWN_ERROR = 'errors.unknown';

export class IpcError extends Error {
  override readonly name = 'IpcError';
  readonly code: string;
  readonly params: Record<string, string>;
  readonly transient: boolean;

  constructor(code: string, message: string, params: Record<string, string> = {}, transient = false) {
    super(message);
    this.code = code;
    this.params = params;
    this.transient = transient;
  }

  /** The AppError this stands for, e.g. to show it like `SalePreview.problem`. */
  toAppError(): AppError {
    return { code: this.code, message: this.message, params: this.params, transient: this.transient };
  }
}

/** Whether `value` has the shape the backend gives every error. */
export function isAppError(value: unknown): value is AppError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

/** Whatever a command rejected with, as an IpcError. */
export function toIpcError(reason: unknown): IpcError {
  if (reason instanceof IpcError) return reason;
  if (isAppError(reason)) {
    return new IpcError(
      reason.code,
      reason.message,
      stringParams(reason.params),
      reason.transient === true,
    );
  }
  if (typeof reason === 'string') return new IpcError(UNKNOWN_ERROR, reason);
  if (reason instanceof Error) return new IpcError(UNKNOWN_ERROR, reason.message);
  return new IpcError(UNKNOWN_ERROR, safeJson(reason));
}

/**
 * Runs one command. Exported for tests only: pages use the typed functions
 * in `ipc` below, so a command's name and argument shape live in one place.
 */
export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw toIpcError(reason);
  }
}

export type SearchKind = 'customer' | 'product';

/** The backend's commands, one typed function each. */
export const ipc = {
  session: () => call<Session>('session'),
  connect: (form: ConnectForm) => call<Session>('connect', { form }),
  home: () => call<Home>('home'),
  connectivity: () => call<Connectivity>('connectivity'),
  search: (text: string, kind: SearchKind | null) => call<Hit[]>('search', { text, kind }),
  customer: (id: number) => call<CustomerDetail>('customer', { id }),
  product: (id: number) => call<ProductDetail>('product', { id }),
  warehouses: () => call<WarehouseRow[]>('warehouses'),
  previewSale: (form: SaleForm, editing: number | null) =>
    call<SalePreview>('preview_sale', { form, editing }),
  saveSale: (form: SaleForm, editing: number | null) => call<Saved>('save_sale', { form, editing }),
  saveRequest: (form: RequestForm) => call<Saved>('save_request', { form }),
  /** A customer written here: provisional (negative id, `NEW-1` code) until the ERP has it. */
  newCustomer: (form: CustomerForm) => call<SavedCustomer>('new_customer', { form }),
  /** Changes to a customer; the form holds only what the salesperson changed. */
  editCustomer: (form: CustomerEditForm) => call<Saved>('edit_customer', { form }),
  /** The customer said yes: a quote (an outbox entry's, or the ERP's) becomes an order. */
  sendQuote: (quote: QuoteToSend) => call<Saved>('send_quote', { quote }),
  outbox: () => call<EntryRow[]>('outbox'),
  outboxEntry: (entry: number) => call<EntryRow>('outbox_entry', { entry }),
  /** Entries discarded here that the ERP may hold all the same. */
  discarded: () => call<DiscardedRow[]>('discarded'),
  retry: (entry: number) => call<null>('retry', { entry }),
  /** Resolves to how many entries went: the entry and those waiting on it. */
  discard: (entry: number) => call<number>('discard', { entry }),
  syncNow: () => call<SyncSummary>('sync_now'),
  settings: () => call<Settings>('settings'),
  about: () => call<About>('about'),
  saveSettings: (settings: Settings) => call<Settings>('save_settings', { settings }),
  signOut: () => call<null>('sign_out'),
  /** A notification from the desktop itself, outside the window. */
  notify: (title: string, body: string) => call<null>('notify', { title, body }),
};

/** The event the backend emits as any sync, background or asked for, goes. */
export const SYNC_EVENT = 'sync';

/** Calls `handler` with every sync event until the returned function is called. */
export function onSyncEvent(handler: (event: SyncEvent) => void): Promise<UnlistenFn> {
  return listen<SyncEvent>(SYNC_EVENT, (event) => handler(event.payload));
}

function stringParams(params: unknown): Record<string, string> {
  if (typeof params !== 'object' || params === null) return {};
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) result[name] = String(value);
  return result;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

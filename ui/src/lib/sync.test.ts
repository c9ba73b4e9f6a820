import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { SyncSummary } from './bindings/SyncSummary';
import { setLocale } from './i18n/index.svelte';
import { SyncState, announce } from './sync.svelte';
import { appError, clearMocks, commands, mockBackend, settle } from './testing/backend';
import { entryRow } from './testing/fixtures';
import { toasts } from './toasts.svelte';

const ONLINE = { online: true, syncing: false, last_attempt_at: null, last_error: null };

function summary(overrides: Partial<SyncSummary> = {}): SyncSummary {
  return { accepted: [], refused: [], pulled: 10, removed: 0, finished_at: '2026-11-25T12:00:00Z', ...overrides };
}

beforeEach(() => {
  setLocale('en');
  toasts.clear();
});
afterEach(() => clearMocks());

describe('SyncState', () => {
  test('follows a sync from start to finish, and bumps the generation once', async () => {
    mockBackend({ connectivity: ONLINE, outbox_entry: entryRow() });
    const sync = new SyncState();
    sync.handle({ event: 'started' });
    expect(sync.running).toBe(true);
    expect(sync.progress).toEqual({ phase: 'starting' });

    sync.handle({ event: 'sending', done: 1, total: 3 });
    expect(sync.progress).toEqual({ phase: 'sending', done: 1, total: 3 });
    sync.handle({ event: 'pulling', entity: 'customers', done: 1000, total: 5000 });
    expect(sync.progress).toEqual({ phase: 'pulling', entity: 'customers', done: 1000, total: 5000 });
    sync.handle({ event: 'refreshing', figure: 'stock', done: 3, total: 4 });
    expect(sync.progress).toEqual({ phase: 'refreshing', figure: 'stock', done: 3, total: 4 });
    expect(sync.generation).toBe(0);

    sync.handle({ event: 'finished', summary: summary() });
    expect(sync.running).toBe(false);
    expect(sync.progress).toBeNull();
    expect(sync.generation).toBe(1);
    expect(sync.lastSummary?.pulled).toBe(10);
    await settle();
    expect(sync.connectivity).toEqual(ONLINE);
  });

  test('keeps why a sync failed, without reloading pages, until one finishes', async () => {
    const offline = { ...ONLINE, online: false, last_error: appError('errors.erp.unreachable') };
    mockBackend({ connectivity: offline });
    const sync = new SyncState();
    sync.handle({ event: 'started' });
    sync.handle({ event: 'failed', error: appError('errors.erp.unreachable') });
    expect(sync.running).toBe(false);
    expect(sync.lastFailure?.code).toBe('errors.erp.unreachable');
    expect(sync.generation).toBe(0);
    await settle();
    expect(sync.offline).toBe(true);

    sync.handle({ event: 'finished', summary: summary() });
    expect(sync.lastFailure).toBeNull();
  });

  test('is not offline before the first attempt', () => {
    const sync = new SyncState();
    sync.connectivity = { ...ONLINE, online: null };
    expect(sync.offline).toBe(false);
  });

  test('a sync asked for while another runs waits for that one', async () => {
    mockBackend({
      sync_now: () => {
        throw appError('errors.sync.running', 'a sync is already running', {}, true);
      },
      connectivity: ONLINE,
    });
    const sync = new SyncState();
    const outcome = sync.syncNow();
    await settle();
    expect(toasts.items.map((toast) => toast.tone)).toEqual(['note']);
    sync.handle({ event: 'finished', summary: summary({ pulled: 3 }) });
    await expect(outcome).resolves.toEqual({ ok: true, summary: summary({ pulled: 3 }) });
  });

  test('a sync asked for that fails says why, in a toast unless quiet', async () => {
    mockBackend({
      sync_now: () => {
        throw appError('errors.erp.login_refused', 'refused', { login: 'alice' });
      },
    });
    const sync = new SyncState();
    const loud = await sync.syncNow();
    expect(loud).toMatchObject({ ok: false, error: { code: 'errors.erp.login_refused' } });
    expect(toasts.items.map((toast) => [toast.tone, toast.text])).toEqual([
      ['alert', 'The ERP refused the login “alice”: check the login and the password.'],
    ]);
    await sync.syncNow({ quiet: true });
    expect(toasts.items).toHaveLength(1);
  });
});

describe('announce', () => {
  test('shows each refusal as an alert with the ERP’s words, and each acceptance as a note', async () => {
    const calls = mockBackend({
      outbox_entry: ({ entry }) => {
        if (entry === 5) return entryRow({ entry: 5, kind: 'order', customer_name: 'ACME' });
        if (entry === 6) return entryRow({ entry: 6, kind: 'request', customer_name: null });
        throw appError('errors.not_found.entry');
      },
    });
    await announce(
      summary({
        refused: [{ entry: 5, number: null, message: 'Credit limit exceeded' }],
        accepted: [
          { entry: 6, number: 'CMP0007', message: null },
          { entry: 9, number: null, message: null },
        ],
      }),
    );
    expect(toasts.items.map((toast) => [toast.tone, toast.text])).toEqual([
      ['alert', 'The ERP refused Order #5 for ACME: Credit limit exceeded'],
      ['note', 'After-sales request #6 accepted as CMP0007'],
      ['note', 'Entry #9 accepted by the ERP'],
    ]);
    // The refusal also goes to the desktop's notifications; acceptances do not.
    expect(commands(calls)).toEqual(['outbox_entry', 'notify', 'outbox_entry', 'outbox_entry']);
    expect(calls[1]!.args).toEqual({
      title: 'Fieldbook: the ERP refused an entry',
      body: 'The ERP refused Order #5 for ACME: Credit limit exceeded',
    });
  });

  test('a desktop without notifications still gets the alert in the window', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    mockBackend({
      outbox_entry: entryRow({ entry: 5, kind: 'order', customer_name: null }),
      notify: () => {
        throw appError('errors.notify', 'no service', { reason: 'org.freedesktop.Notifications was not provided' });
      },
    });
    setLocale('zh-CN');
    await announce(summary({ refused: [{ entry: 5, number: null, message: '超出信用额度' }] }));
    expect(toasts.items.map((toast) => [toast.tone, toast.text])).toEqual([['alert', 'ERP 拒绝了订单 #5：超出信用额度']]);
    await settle(); // The notification is not waited for.
    expect(warn).toHaveBeenCalledWith('系统没有显示通知：org.freedesktop.Notifications was not provided');
    warn.mockRestore();
  });

  test('speaks the current language', async () => {
    mockBackend({ outbox_entry: entryRow({ entry: 5, kind: 'order' }) });
    setLocale('zh-CN');
    await announce(summary({ accepted: [{ entry: 5, number: 'SO0042', message: null }] }));
    expect(toasts.items[0]?.text).toBe('ERP 已接受订单 #5，编号 SO0042');
  });
});

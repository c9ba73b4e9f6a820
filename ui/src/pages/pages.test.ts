/**
 * The pages as a salesperson meets them: mounted in a document, over a
 * mocked backend, found by the test ids the end-to-end tests use.
 */
import { flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import App from '../App.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { router } from '../lib/router.svelte';
import { customerSearch } from '../lib/search.svelte';
import { session } from '../lib/session.svelte';
import { sync } from '../lib/sync.svelte';
import { appError, clearMocks, commands, mockBackend, settle } from '../lib/testing/backend';
import { customer, customerHit, entryRow, home, preview, productHit, session as sessionFixture } from '../lib/testing/fixtures';
import { byTestId, cleanup, click, one, press, render, text, type } from '../lib/testing/render';
import { toasts } from '../lib/toasts.svelte';
import ConnectPage from './connect/ConnectPage.svelte';
import CustomerPage from './customer/CustomerPage.svelte';
import CustomersPage from './customers/CustomersPage.svelte';
import EditorPage from './editor/EditorPage.svelte';
import OutboxPage from './outbox/OutboxPage.svelte';
import SettingsPage from './settings/SettingsPage.svelte';

beforeEach(() => {
  setLocale('en');
  router.reset();
  toasts.clear();
  customerSearch.type('');
  sync.connectivity = null;
});
afterEach(() => {
  cleanup();
  clearMocks();
  vi.useRealTimers(); // So a test that fakes timers need not put them back.
});

describe('the window', () => {
  test('opens on the connect page on first run, with a language toggle and no navigation', async () => {
    mockBackend({
      session: sessionFixture({ needs_setup: true, erp: null, settings: { language: null, sync_interval_seconds: 300 } }),
      connectivity: () => {
        throw appError('errors.not_connected');
      },
    });
    await render(App);
    expect(byTestId('connect-url')).toHaveLength(1);
    expect(byTestId('nav-home')).toHaveLength(0);
    expect(byTestId('lang-toggle')).toHaveLength(1);
  });

  test('shows the offline badge only while the ERP does not answer', async () => {
    const offline = { online: false, syncing: false, last_attempt_at: null, last_error: appError('errors.erp.unreachable', 'm', { url: 'http://erp/' }, true) };
    mockBackend({ session: sessionFixture(), connectivity: offline, home: home({ connectivity: offline }) });
    await render(App);
    expect(text(one('offline-badge'))).toBe('Offline');
    sync.connectivity = { ...offline, online: true };
    flushSync();
    expect(byTestId('offline-badge')).toHaveLength(0);
  });

  test('switches language at once from the header, and keeps the choice', async () => {
    const calls = mockBackend({
      session: sessionFixture(),
      connectivity: home().connectivity,
      home: home(),
      save_settings: ({ settings }) => settings,
    });
    await render(App);
    expect(text(one('nav-customers'))).toBe('Customers');
    click(one('lang-toggle'));
    expect(text(one('nav-customers'))).toBe('客户');
    await settle();
    expect(calls.find((call) => call.command === 'save_settings')?.args).toEqual({
      settings: { language: 'zh-CN', sync_interval_seconds: 300 },
    });
  });

  test('Ctrl+K finds from anywhere, and Esc goes back', async () => {
    mockBackend({ session: sessionFixture(), connectivity: home().connectivity, home: home() });
    await render(App);
    press(document.body, 'k', { ctrlKey: true });
    await settle();
    expect(router.current).toEqual({ page: 'customers' });
    expect(document.activeElement).toBe(one('search-input'));
    press(document.body, 'Escape');
    expect(router.current).toEqual({ page: 'home' });
  });

  test('home shows the last sync, what waits, and what the ERP refused', async () => {
    const refused = entryRow({ entry: 3, state: 'rejected', erp_message: 'Credit limit exceeded' });
    mockBackend({ session: sessionFixture(), connectivity: home().connectivity, home: home({ pending: 4, rejected: [refused] }) });
    await render(App);
    expect(text(one('home-pending'))).toBe('4');
    expect(text(one('home-last-sync'))).toMatch(/as of /);
    expect(document.body.textContent).toContain('Credit limit exceeded');
  });
});

describe('connect page', () => {
  test('shows the backend’s error in words, by its code', async () => {
    mockBackend({
      connect: () => {
        throw appError('errors.erp.login_refused', 'refused', { login: 'alice' });
      },
    });
    await render(ConnectPage);
    type(one('connect-url'), 'http://erp:8000/');
    type(one('connect-database'), 'prod');
    type(one('connect-login'), 'alice');
    type(one('connect-password'), 'wrong');
    click(one('connect-submit'));
    await settle();
    expect(text(one('connect-error'))).toBe('The ERP refused the login “alice”: check the login and the password.');
    expect(one('connect-password').getAttribute('aria-invalid')).toBe('true');
    expect(one('connect-url').getAttribute('aria-invalid')).toBe('false');
  });

  test('after connecting, starts the first sync and shows what it fetches', async () => {
    const calls = mockBackend({
      connect: sessionFixture(),
      connectivity: home().connectivity,
      sync_now: () => new Promise(() => {}), // Still running.
    });
    await render(App);
    session.phase = 'setup';
    flushSync();
    for (const [id, value] of [['connect-url', 'http://erp:8000/'], ['connect-database', 'prod'], ['connect-login', 'alice'], ['connect-password', 'pw']]) {
      type(one(id!), value!);
    }
    click(one('connect-submit'));
    await settle();
    expect(commands(calls)).toContain('sync_now');
    sync.handle({ event: 'pulling', entity: 'customers', done: 1200, total: 5000 });
    flushSync();
    expect(text(one('sync-progress'))).toBe('Fetching customers: 1,200 of 5,000');
    setLocale('zh-CN');
    flushSync();
    expect(text(one('sync-progress'))).toBe('正在获取客户：1,200 / 5,000');
  });
});

describe('customers page', () => {
  test('searches as you type, moves with the arrows, and opens with Enter', async () => {
    vi.useFakeTimers();
    const calls = mockBackend({ search: [customerHit(1, '华为技术', 'C-HW'), customerHit(2, '华为终端')] });
    const page = await render(CustomersPage);
    const input = one('search-input', page);
    type(input, '华为');
    await vi.advanceTimersByTimeAsync(200);
    flushSync();
    expect(calls[0]!.args).toEqual({ text: '华为', kind: 'customer' });
    expect(byTestId('search-result').map((row) => row.dataset.id)).toEqual(['1', '2']);
    press(input, 'ArrowDown');
    expect(byTestId('search-result')[1]!.getAttribute('aria-selected')).toBe('true');
    press(input, 'Enter');
    expect(router.current).toEqual({ page: 'customer', id: 2 });
  });

  test('waits for the IME to finish composing before it searches', async () => {
    vi.useFakeTimers();
    const calls = mockBackend({ search: [customerHit(1, '华为技术')] });
    await render(CustomersPage);
    const input = one('search-input') as HTMLInputElement;
    input.value = 'hua';
    input.dispatchEvent(new InputEvent('input', { bubbles: true, isComposing: true }));
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(0);
    input.value = '华';
    input.dispatchEvent(new CompositionEvent('compositionend', { bubbles: true, data: '华' }));
    await vi.advanceTimersByTimeAsync(200);
    expect(calls.map((call) => call.args.text)).toEqual(['华']);
  });

  test('says when no customer matches', async () => {
    vi.useFakeTimers();
    mockBackend({ search: [] });
    await render(CustomersPage);
    type(one('search-input'), 'zzz');
    await vi.advanceTimersByTimeAsync(200);
    flushSync();
    expect(document.body.textContent).toContain('No customers match “zzz”');
  });
});

describe('customer page', () => {
  test('shows credit with its age, overdue invoices, and recent orders', async () => {
    mockBackend({ customer: customer() });
    await render(CustomerPage, { id: 7 });
    expect(text(one('customer-name'))).toBe('深圳市艾克米贸易有限公司');
    expect(text(one('credit-limit'))).toBe('CN¥100,000.00');
    expect(text(one('credit-used'))).toBe('CN¥40,000.00');
    expect(text(one('credit-available'))).toBe('CN¥60,000.00');
    expect(text(one('credit-age'))).toMatch(/^as of /);
    expect(byTestId('invoice-overdue')).toHaveLength(1);
    expect(text(one('order-row'))).toContain('SO0042');
    expect(text(one('order-row'))).toContain('Confirmed');
    expect(byTestId('customer-provisional')).toHaveLength(0);
  });

  test('marks a customer written offline as not yet in the ERP, and starts drafts for them', async () => {
    mockBackend({ customer: customer({ erp_id: -1, code: 'NEW-1', provisional: true, credit: null }) });
    await render(CustomerPage, { id: -1 });
    expect(byTestId('customer-provisional')).toHaveLength(1);
    click(one('new-quote'));
    expect(router.current).toEqual({ page: 'editor', customerId: -1, kind: 'quote', entry: null });
  });

  test('says what is missing when the customer is not in the cache', async () => {
    mockBackend({
      customer: () => {
        throw appError('errors.not_found.customer', 'no customer', { key: '99' });
      },
    });
    await render(CustomerPage, { id: 99 });
    expect(document.body.textContent).toContain("Customer 99 is not in this computer's copy");
  });
});

describe('editor', () => {
  test('adds a searched product, previews live, and saves to the outbox', async () => {
    vi.useFakeTimers();
    const calls = mockBackend({
      customer: customer(),
      warehouses: [{ erp_id: 1, code: 'WH', name: 'Main' }],
      search: [productHit(101, '龙井茶', 'P-TEA')],
      preview_sale: ({ form }) =>
        (form as { lines: unknown[] }).lines.length === 0
          ? preview({ lines: [], estimated_total: '0', problem: appError('errors.draft.no_lines', 'no lines') })
          : preview(),
      save_sale: { entry: 9 },
    });
    router.navigate({ page: 'customer', id: 7 });
    router.navigate({ page: 'editor', customerId: 7, kind: 'order', entry: null });
    await render(EditorPage, { customerId: 7, kind: 'order', entry: null });
    await vi.advanceTimersByTimeAsync(200);
    flushSync();
    expect(text(one('editor-problem'))).toContain('Add at least one line.');
    expect((one('editor-save') as HTMLButtonElement).disabled).toBe(true);

    type(one('editor-product-search'), 'tea');
    await vi.advanceTimersByTimeAsync(200);
    flushSync();
    click(one('editor-product-result'));
    await vi.advanceTimersByTimeAsync(200);
    await settle();
    flushSync();

    expect(byTestId('editor-line')).toHaveLength(1);
    expect(one('line-price').getAttribute('placeholder')).toBe('150.00');
    expect(text(one('editor-total'))).toContain('CN¥300.00');
    expect(byTestId('editor-problem')).toHaveLength(0);
    const previewed = calls.filter((call) => call.command === 'preview_sale').at(-1)!;
    expect(previewed.args).toMatchObject({
      form: { lines: [{ product_id: 101, quantity: '1' }], invoice_address_id: 12, shipment_address_id: 11, warehouse_id: 1 },
      editing: null,
    });

    click(one('editor-save'));
    await vi.advanceTimersByTimeAsync(10);
    expect(calls.at(-1)!.command).toBe('save_sale');
    expect(router.current).toEqual({ page: 'customer', id: 7 });
    expect(toasts.items.map((toast) => toast.text)).toEqual([
      'Order saved as outbox entry #9; it goes to the ERP at the next sync.',
    ]);
  });

  test('warns when the order goes over credit or stock', async () => {
    vi.useFakeTimers();
    mockBackend({
      customer: customer(),
      warehouses: [],
      outbox_entry: entryRow({ entry: 5, state: 'rejected' }),
      preview_sale: preview({
        credit: { currency: 'CNY', available: '100.00', unsent: '0.00', this_draft: '300.00', left: '-200.00', over: true, synced_at: '2026-11-25T01:14:00Z' },
        stock: [{ product_id: 101, code: 'P-TEA', name: '龙井茶', warehouse: 'Main', forecast: '1', unsent: '0', this_draft: '2', left: '-1', over: true, synced_at: null }],
      }),
    });
    await render(EditorPage, { customerId: 7, kind: 'order', entry: 5 });
    await vi.advanceTimersByTimeAsync(200);
    flushSync();
    expect(byTestId('editor-line')).toHaveLength(1); // The entry's line.
    expect(text(one('editor-credit'))).toContain('over their available credit');
    expect(byTestId('editor-stock-warning')).toHaveLength(1);
    expect((one('editor-save') as HTMLButtonElement).disabled).toBe(false); // A warning, not a refusal.
  });
});

describe('outbox page', () => {
  test('lists every entry with what the ERP said, and what can be done with it', async () => {
    mockBackend({
      outbox: [
        entryRow({ entry: 3, state: 'rejected', erp_message: 'Credit limit exceeded', attempts: 1 }),
        entryRow({ entry: 2, state: 'done', erp_number: 'SO0042' }),
        entryRow({ entry: 1, kind: 'request', sale: null, description: '受潮' }),
      ],
    });
    await render(OutboxPage);
    const rows = byTestId('outbox-row');
    expect(rows.map((row) => row.dataset.entry)).toEqual(['3', '2', '1']);
    expect(rows.map((row) => one('entry-state', row).dataset.state)).toEqual(['rejected', 'done', 'pending']);
    expect(text(one('entry-message', rows[0]))).toBe('Credit limit exceeded');
    expect(text(one('entry-number', rows[1]))).toBe('ERP number SO0042');
    // Edit and retry only where they apply; nothing for an accepted entry.
    expect(byTestId('entry-edit', rows[0]).length + byTestId('entry-retry', rows[0]).length).toBe(2);
    expect(byTestId('entry-discard', rows[1])).toHaveLength(0);
    expect(byTestId('entry-edit', rows[2])).toHaveLength(0);
    click(one('entry-edit', rows[0]));
    expect(router.current).toEqual({ page: 'editor', customerId: 7, kind: 'order', entry: 3 });
  });

  test('discards only after asking, then reloads', async () => {
    let entries = [entryRow({ entry: 3, state: 'rejected' })];
    const calls = mockBackend({
      outbox: () => entries,
      discard: () => {
        entries = [];
        return 1;
      },
    });
    await render(OutboxPage);
    click(one('entry-discard'));
    expect(commands(calls)).toEqual(['outbox']); // Nothing gone yet: it asks first.
    click(one('entry-discard-confirm'));
    await settle();
    flushSync();
    expect(commands(calls)).toEqual(['outbox', 'discard', 'outbox']);
    expect(text(one('outbox-empty'))).toBe('Nothing waiting.');
    expect(toasts.items.map((toast) => toast.text)).toEqual(['1 entry discarded.']);
  });

  test('Esc closes the question instead of leaving the page', async () => {
    mockBackend({ outbox: [entryRow({ entry: 3 })] });
    router.navigate({ page: 'outbox' });
    await render(OutboxPage);
    click(one('entry-discard'));
    press(one('entry-discard-cancel'), 'Escape');
    expect(byTestId('entry-discard')).toHaveLength(1);
  });
});

describe('settings page', () => {
  test('explains a refused sign-out with the count of unsent entries', async () => {
    mockBackend({
      sign_out: () => {
        throw appError('errors.sign_out.unsent', '2 entries', { count: '2' });
      },
    });
    await render(SettingsPage);
    click(one('settings-signout'));
    await settle();
    expect(document.body.textContent).toContain('2 outbox entries have not reached the ERP');
  });

  test('saves the sync interval in seconds', async () => {
    const calls = mockBackend({ save_settings: ({ settings }) => settings });
    session.settings = { language: 'en', sync_interval_seconds: 300 };
    await render(SettingsPage);
    const input = one('settings-interval') as HTMLInputElement;
    expect(input.value).toBe('5');
    type(input, '0.5');
    input.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(calls[0]!.args).toEqual({ settings: { language: 'en', sync_interval_seconds: 30 } });
  });
});

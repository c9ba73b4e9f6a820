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
import type { DiscardedRow } from '../lib/bindings/DiscardedRow';
import {
  customer,
  customerHit,
  discardedRow,
  entryRow,
  home,
  preview,
  productHit,
  saleForm,
  SYNCED_AT,
  session as sessionFixture,
} from '../lib/testing/fixtures';
import { byTestId, cleanup, click, one, press, render, text, type } from '../lib/testing/render';
import { toasts } from '../lib/toasts.svelte';
import ConnectPage from './connect/ConnectPage.svelte';
import CustomerPage from './customer/CustomerPage.svelte';
import EditCustomerPage from './customer-form/EditCustomerPage.svelte';
import NewCustomerPage from './customer-form/NewCustomerPage.svelte';
import CustomersPage from './customers/CustomersPage.svelte';
import EditorPage from './editor/EditorPage.svelte';
import OutboxPage from './outbox/OutboxPage.svelte';
import ProductPage from './product/ProductPage.svelte';
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
    expect(document.querySelector('[data-testid="home-not-readable"]')).toBeNull();
  });

  test('home says what the ERP user may not read, and whom to ask, in both languages', async () => {
    const since = '2026-12-01T08:00:00Z';
    const notReadable = [
      { part: 'invoices', detail: 'may not read account.move.line', since, tried_at: since },
      { part: 'credit_moves', detail: 'may not read account.move.line', since, tried_at: since },
    ];
    for (const [locale, words] of [
      ['en', ['open invoices: not readable since', 'receivable lines', '“Fieldbook salesperson”', '“alice”']],
      ['zh-CN', ['未结发票：自', '应收明细', '“Fieldbook salesperson”', '“alice”']],
    ] as const) {
      mockBackend({ session: sessionFixture(), connectivity: home().connectivity, home: home({ not_readable: notReadable }) });
      await render(App);
      setLocale(locale);
      flushSync();
      const card = text(one('home-not-readable'));
      for (const word of words) expect(card).toContain(word);
      cleanup();
    }
    setLocale('en');
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

/** Picks an option as a person would: sets the select's value and fires `change`. */
function choose(select: HTMLElement, value: string): void {
  (select as HTMLSelectElement).value = value;
  select.dispatchEvent(new Event('change', { bubbles: true }));
  flushSync();
}

function value(input: HTMLElement): string {
  return (input as HTMLInputElement).value;
}

describe('new customer page', () => {
  test('opens from the customers page', async () => {
    mockBackend({});
    await render(CustomersPage);
    click(one('new-customer'));
    expect(router.current).toEqual({ page: 'customer-new' });
  });

  test('saves a name, addresses and contacts, then opens the new customer', async () => {
    const calls = mockBackend({ new_customer: { entry: 4, customer_id: -1, code: 'NEW-1' } });
    router.navigate({ page: 'customers' });
    router.navigate({ page: 'customer-new' });
    await render(NewCustomerPage);
    expect(byTestId('address-street')).toHaveLength(1);
    expect(value(one('address-country'))).toBe('CN');
    expect(byTestId('contact-value')).toHaveLength(1);

    type(one('customer-form-name'), '杭州新茶贸易有限公司');
    type(one('address-street'), '西湖区文三路 90号');
    type(one('address-postal-code'), '310012');
    type(one('address-city'), '杭州');
    type(one('contact-value'), '0571 8888 1234');
    click(one('add-address'));
    type(byTestId('address-city')[1]!, '上海');
    type(byTestId('address-country')[1]!, 'cn');
    click(one('add-contact'));
    choose(byTestId('contact-kind')[1]!, 'email');
    type(byTestId('contact-value')[1]!, 'buyer@newtea.example.cn');
    click(one('customer-form-save'));
    await settle();

    expect(calls).toEqual([
      {
        command: 'new_customer',
        args: {
          form: {
            name: '杭州新茶贸易有限公司',
            addresses: [
              { street: '西湖区文三路 90号', postal_code: '310012', city: '杭州', country: 'CN', invoice: true, delivery: true },
              { street: null, postal_code: null, city: '上海', country: 'cn', invoice: false, delivery: true },
            ],
            contacts: [
              { kind: 'phone', value: '0571 8888 1234' },
              { kind: 'email', value: 'buyer@newtea.example.cn' },
            ],
          },
        },
      },
    ]);
    expect(toasts.items.map((toast) => toast.text)).toEqual(['Saved as NEW-1; it goes to the ERP with the next sync.']);
    expect(router.current).toEqual({ page: 'customer', id: -1 });
    router.back();
    expect(router.current).toEqual({ page: 'customers' }); // Not back to the form.
  });

  test('removes a row, and shows the backend’s refusal in words next to the form, marking the row', async () => {
    const calls = mockBackend({
      new_customer: () => {
        throw appError('errors.customer.empty_address', 'address 1: give a street or a city', { index: '1' });
      },
    });
    await render(NewCustomerPage);
    click(one('add-contact'));
    expect(byTestId('contact-value')).toHaveLength(2);
    click(byTestId('remove-contact')[0]!);
    expect(byTestId('contact-value')).toHaveLength(1);
    type(one('customer-form-name'), 'ACME');
    type(one('contact-value'), '0571 8888 1234');
    click(one('customer-form-save'));
    await settle();
    expect(commands(calls)).toEqual(['new_customer']);
    expect(byTestId('customer-form-error')).toHaveLength(1);
    expect(one('customer-form-error').dataset.code).toBe('errors.customer.empty_address');
    expect(text(one('customer-form-error'))).toBe('Address 1: give at least a street or a city, or remove it.');
    expect(one('address-street').getAttribute('aria-invalid')).toBe('true');
    expect(one('contact-value').getAttribute('aria-invalid')).toBe('false');
    expect(router.current).toEqual({ page: 'home' }); // Still on the form.
    setLocale('zh-CN');
    flushSync();
    expect(text(one('customer-form-error'))).toBe('地址 1：请至少填写街道地址或城市，或将其删除。');
  });

  test('Esc does not throw the form away', async () => {
    mockBackend({ session: sessionFixture(), connectivity: home().connectivity, home: home() });
    await render(App);
    router.navigate({ page: 'customers' });
    router.navigate({ page: 'customer-new' });
    flushSync();
    await settle();
    type(one('customer-form-name'), 'ACME');
    press(document.body, 'Escape');
    expect(router.current).toEqual({ page: 'customer-new' });
  });
});

describe('edit customer page', () => {
  const detail = () =>
    customer({
      contacts: [
        { erp_id: 21, kind: 'phone', value: '+86 755 1234 5678' },
        { erp_id: 22, kind: 'email', value: 'buyer@acme.example.cn' },
      ],
    });

  test('opens from the customer page, provisional or not', async () => {
    mockBackend({ customer: customer({ erp_id: -1, code: 'NEW-1', provisional: true, credit: null }) });
    await render(CustomerPage, { id: -1 });
    click(one('edit-customer'));
    expect(router.current).toEqual({ page: 'customer-edit', id: -1 });
  });

  test('shows the name and contacts as they are, and sends only what changed', async () => {
    const calls = mockBackend({ customer: detail(), edit_customer: { entry: 9 } });
    router.navigate({ page: 'customer', id: 7 });
    router.navigate({ page: 'customer-edit', id: 7 });
    await render(EditCustomerPage, { id: 7 });
    expect(value(one('edit-name'))).toBe('深圳市艾克米贸易有限公司');
    expect(byTestId('edit-contact').map((input) => [input.dataset.id, value(input)])).toEqual([
      ['21', '+86 755 1234 5678'],
      ['22', 'buyer@acme.example.cn'],
    ]);
    // Existing addresses offer their parts for change; new ones start empty.
    expect(document.body.textContent).toContain('南山区科技园 1号, 深圳');
    expect(byTestId('edit-address-street').map(value)).toEqual(['南山区科技园 1号', '福田区深南大道 100号']);
    expect(byTestId('edit-address-postal-code').map(value)).toEqual(['', '518000']);
    expect(byTestId('address-street')).toHaveLength(0);
    expect(text(one('edit-conflict-note'))).toContain("the ERP's value stays");

    type(byTestId('edit-contact')[0]!, '+86 755 2222 2222');
    expect(document.body.textContent).toContain('was: +86 755 1234 5678');
    type(byTestId('edit-address-postal-code')[0]!, '518057');
    expect(document.body.textContent).toContain('was: (empty)');
    click(one('add-address'));
    type(one('address-street'), '坂田华为基地');
    type(one('address-city'), '深圳');
    click(one('edit-save'));
    await settle();

    expect(calls.at(-1)).toEqual({
      command: 'edit_customer',
      args: {
        form: {
          customer_id: 7,
          name: null,
          contacts: [{ contact_id: 21, value: '+86 755 2222 2222' }],
          addresses: [{ address_id: 11, street: null, postal_code: '518057', city: null }],
          new_addresses: [{ street: '坂田华为基地', postal_code: null, city: '深圳', country: 'CN', invoice: false, delivery: true }],
          new_contacts: [],
        },
      },
    });
    expect(toasts.items.map((toast) => toast.text)).toEqual([
      'Changes to 深圳市艾克米贸易有限公司 saved as outbox entry #9; they go to the ERP with the next sync.',
    ]);
    expect(router.current).toEqual({ page: 'customer', id: 7 });
  });

  test('shows the backend’s refusal in words and marks the contact it is about', async () => {
    let refusal = appError('errors.customer.nothing_to_change', 'nothing to change');
    mockBackend({
      customer: detail(),
      edit_customer: () => {
        throw refusal;
      },
    });
    await render(EditCustomerPage, { id: 7 });
    click(one('edit-save'));
    await settle();
    expect(text(one('edit-error'))).toBe('Nothing changed: change a value, or add an address or a contact.');

    refusal = appError('errors.customer.email', 'not an e-mail', { index: '1', value: 'buyer-at-acme' });
    type(byTestId('edit-contact')[1]!, 'buyer-at-acme');
    click(one('edit-save'));
    await settle();
    expect(one('edit-error').dataset.code).toBe('errors.customer.email');
    expect(text(one('edit-error'))).toBe('Contact 1: “buyer-at-acme” is not an e-mail address (it needs an @ and a domain).');
    expect(byTestId('edit-contact').map((input) => input.getAttribute('aria-invalid'))).toEqual(['false', 'true']);

    refusal = appError('errors.customer.address_emptied', 'emptied', { id: '12' });
    type(byTestId('edit-address-street')[1]!, '');
    type(byTestId('edit-address-city')[1]!, '');
    click(one('edit-save'));
    await settle();
    expect(text(one('edit-error'))).toBe('The marked address would have neither a street nor a city: keep one of them.');
    expect(byTestId('edit-address').map((row) => row.classList.contains('wrong'))).toEqual([false, true]);
    expect(byTestId('edit-address-city').map((input) => input.getAttribute('aria-invalid'))).toEqual(['false', 'true']);
  });

  test('keeps what was typed when a sync reloads the customer', async () => {
    const calls = mockBackend({ customer: detail() });
    await render(EditCustomerPage, { id: 7 });
    type(one('edit-name'), 'ACME 深圳');
    sync.generation++;
    flushSync();
    await settle();
    flushSync();
    expect(commands(calls)).toEqual(['customer', 'customer']);
    expect(value(one('edit-name'))).toBe('ACME 深圳');
  });
});

describe('send as order', () => {
  test('on the customer page: ERP quotations and unsent quotes, after asking', async () => {
    const quotation = {
      erp_id: 42,
      number: 'SO0043',
      state: 'quote',
      may_become_order: true,
      order_date: '2026-11-21',
      currency: 'CNY',
      total: '900.00',
      lines: 1,
      synced_at: '2026-11-25T01:14:00Z',
      sent_as_order: null,
    };
    const calls = mockBackend({
      customer: customer({
        recent_orders: [customer().recent_orders[0]!, quotation],
        unsent: [
          entryRow({ entry: 8, kind: 'quote', state: 'pending' }),
          entryRow({ entry: 9, kind: 'order', state: 'pending' }),
          entryRow({ entry: 10, kind: 'quote', state: 'rejected' }),
          entryRow({ entry: 11, kind: 'quote', state: 'pending', sent_as_order: 13 }),
        ],
      }),
      send_quote: { entry: 12 },
    });
    await render(CustomerPage, { id: 7 });
    const rows = byTestId('order-row');
    expect(rows.map((row) => byTestId('quote-send', row).length)).toEqual([0, 1]);
    expect(byTestId('customer-unsent').map((row) => byTestId('entry-send-quote', row).length)).toEqual([1, 0, 0, 0]);

    click(one('quote-send'));
    expect(commands(calls)).toEqual(['customer']); // It asks first.
    expect(document.body.textContent).toContain('Did the customer accept Quote SO0043?');
    click(one('quote-send-confirm'));
    await settle();
    expect(calls[1]).toEqual({ command: 'send_quote', args: { quote: { entry: null, order_id: 42 } } });
    expect(commands(calls)).toEqual(['customer', 'send_quote', 'customer']); // Reloaded.
    expect(toasts.items.map((toast) => toast.text)).toEqual([
      'Quote SO0043 goes to the ERP as an order with the next sync (outbox entry #12).',
    ]);

    click(one('entry-send-quote'));
    click(one('entry-send-quote-confirm'));
    await settle();
    expect(calls.filter((call) => call.command === 'send_quote').map((call) => call.args.quote)).toEqual([
      { entry: null, order_id: 42 },
      { entry: 8, order_id: null },
    ]);
  });

  test('in the outbox: only for quotes still waiting; a refusal shows in words', async () => {
    const calls = mockBackend({
      discarded: [],
      outbox: [
        entryRow({ entry: 3, kind: 'quote', state: 'pending' }),
        entryRow({ entry: 2, kind: 'quote', state: 'done', erp_number: 'SO0044' }),
        entryRow({ entry: 1, kind: 'quote', state: 'rejected' }),
      ],
      send_quote: () => {
        throw appError('errors.quote.not_a_quote', 'not a quote', { state: 'confirmed' });
      },
    });
    await render(OutboxPage);
    expect(byTestId('outbox-row').map((row) => byTestId('entry-send-quote', row).length)).toEqual([1, 0, 0]);
    click(one('entry-send-quote'));
    press(one('entry-send-quote-cancel'), 'Escape');
    expect(commands(calls)).toEqual(['outbox', 'discarded']);
    expect(byTestId('entry-send-quote-confirm')).toHaveLength(0);

    click(one('entry-send-quote'));
    click(one('entry-send-quote-confirm'));
    await settle();
    expect(calls.at(-1)).toEqual({ command: 'send_quote', args: { quote: { entry: 3, order_id: null } } });
    expect(toasts.items.map((toast) => [toast.tone, toast.text])).toEqual([
      ['alert', 'The ERP has this sale as “Confirmed” as of the last sync, not as a quotation: only a quote becomes an order.'],
    ]);
    expect(byTestId('entry-send-quote')).toHaveLength(1); // The question is closed.
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

  test('says where each price comes from, the promotions, and which prices only the ERP knows', async () => {
    vi.useFakeTimers();
    const line = preview().lines[0]!;
    mockBackend({
      customer: customer(),
      warehouses: [],
      outbox_entry: entryRow({
        entry: 4,
        sale: saleForm({
          kind: 'quote',
          lines: [
            { product_id: 101, quantity: '12', unit_price: null, discount_percent: null },
            { product_id: 102, quantity: '1', unit_price: '90', discount_percent: null },
            { product_id: 103, quantity: '2', unit_price: null, discount_percent: null },
          ],
        }),
      }),
      preview_sale: preview({
        price_list: 'Gold 金牌',
        estimated_total: '1713.60',
        unpriced_lines: 1,
        promotions: [{ name: 'Spring tea', takes_off: '171.36' }],
        lines: [
          {
            ...line,
            price: '142.80',
            source: {
              kind: 'list',
              words: 'Gold 金牌, 10 or more: list_price * 0.85',
              list: 'Gold 金牌',
              from_quantity: '10',
              formula: 'list_price * 0.85',
            },
            promotion: { name: 'Spring tea', before: '142.80', unit_price: '128.52' },
            unit_price: '128.52',
            amount: '1542.24',
          },
          {
            ...line,
            product_id: 102,
            code: 'P-CUP',
            price: '90',
            source: { kind: 'typed', words: 'typed', list: null, from_quantity: null, formula: null },
            promotion: { name: 'Spring tea', before: '90', unit_price: '81.00' },
            unit_price: '81.00',
            amount: '81.00',
            typed_price_replaced: true,
          },
          {
            ...line,
            product_id: 103,
            code: 'P-POT',
            price: null,
            source: null,
            unit_price: null,
            amount: null,
            unknown: {
              ...appError('pricing.unknown.formula', 'cannot evaluate offline'),
              params: { list: 'Gold 金牌', formula: 'list_price ** 0.5', detail: '' },
            },
          },
        ],
      }),
    });
    await render(EditorPage, { customerId: 7, kind: 'quote', entry: 4 });
    await vi.advanceTimersByTimeAsync(200);
    await settle();
    flushSync();

    const sources = byTestId('line-price-source').map(text);
    expect(sources).toEqual(['Gold 金牌, 10 or more: list_price * 0.85', 'typed']);
    expect(byTestId('line-promotion').map(text)).toEqual([
      'Promotion Spring tea: CN¥128.52 each',
      'Promotion Spring tea: CN¥81.00 each',
    ]);
    expect(text(one('line-typed-replaced'))).toContain('replaces the price you typed with CN¥81.00');
    expect(text(one('line-price-unknown'))).toContain('formula “list_price ** 0.5” cannot be worked out');
    expect(byTestId('line-amount').map(text)[2]).toBe('priced by the ERP');
    expect(byTestId('line-price').map((input) => input.getAttribute('placeholder'))[0]).toBe('142.80');
    expect(text(one('editor-pricing'))).toContain('Gold 金牌');
    expect(text(one('editor-promotion'))).toBe('Spring tea');
    expect(text(one('editor-pricing'))).toContain('− CN¥171.36');
    expect(text(one('editor-unpriced'))).toBe('1 line is priced by the ERP and is not in the total.');
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

describe('product page', () => {
  test('shows the list price in its currency, with its age', async () => {
    const product = {
      erp_id: 101,
      code: 'P-TEA',
      name: '龙井茶',
      description: null,
      unit: 'kg',
      list_price: '150.00',
      currency: 'CNY',
      salable: true,
      synced_at: new Date(Date.now() - 60_000).toISOString(),
      stock: [],
    };
    mockBackend({ product });
    await render(ProductPage, { id: 101 });
    expect(text(one('product-price'))).toMatch(/^CN¥150\.00 .*as of/);
    setLocale('zh-CN');
    flushSync();
    expect(text(one('product-price'))).toMatch(/^¥150\.00/);
  });
});

describe('outbox page', () => {
  test('lists every entry with what the ERP said, and what can be done with it', async () => {
    mockBackend({
      discarded: [],
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

  test('says where the ERP accepted a sale at other prices than this computer showed', async () => {
    mockBackend({
      discarded: [],
      outbox: [
        entryRow({
          entry: 6,
          state: 'done',
          erp_number: 'SO0043',
          currency: 'CNY',
          price_differences: [
            { kind: 'line', line: 1, product: 'P-TEA', erp: '84.0000', laptop: '168.00' },
            { kind: 'line', line: 2, product: 'P-POT', erp: '17.5000', laptop: null },
            { kind: 'total', line: null, product: null, erp: '203.00', laptop: '336.00' },
          ],
        }),
      ],
    });
    await render(OutboxPage);
    expect(byTestId('entry-price-difference').map(text)).toEqual([
      'Line 1: the ERP priced P-TEA at CN¥84.00; you quoted CN¥168.00.',
      'Line 2: the ERP priced P-POT at CN¥17.50 (not known on this computer).',
      'Untaxed total: CN¥203.00 in the ERP; the estimate was CN¥336.00.',
    ]);
    setLocale('zh-CN');
    flushSync();
    expect(text(one('entry-prices'))).toContain('第 1 行：ERP 对 P-TEA 的定价为 ¥84.00，您的报价为 ¥168.00。');
    setLocale('en');
    flushSync();
  });

  test('an entry that may already be in the ERP offers no edit or discard until a sync settles it', async () => {
    mockBackend({
      discarded: [],
      outbox: [
        entryRow({ entry: 4, in_flight: true, attempts: 1, erp_message: 'timed out' }),
        entryRow({ entry: 3 }),
      ],
    });
    await render(OutboxPage);
    const rows = byTestId('outbox-row');
    expect(text(one('entry-in-flight', rows[0]))).toMatch(/May already be in the ERP/);
    expect(byTestId('entry-edit', rows[0])).toHaveLength(0);
    expect(byTestId('entry-discard', rows[0])).toHaveLength(0);
    expect(byTestId('entry-in-flight', rows[1])).toHaveLength(0);
    expect(byTestId('entry-edit', rows[1])).toHaveLength(1);
    expect(byTestId('entry-discard', rows[1])).toHaveLength(1);
    setLocale('zh-CN');
    flushSync();
    expect(text(one('entry-in-flight', rows[0]))).toMatch(/可能已在 ERP 中/);
    setLocale('en');
    flushSync();
  });

  test('says which quote an order confirms, totals in their currency, and conflicts in words', async () => {
    mockBackend({
      discarded: [],
      outbox: [
        entryRow({ entry: 9, kind: 'quote_to_order', sale: null, quote: { number: null, entry: 8 } }),
        entryRow({ entry: 7, kind: 'quote_to_order', sale: null, quote: { number: 'SQ0012', entry: null }, state: 'done' }),
        entryRow({
          entry: 6,
          kind: 'customer_edit',
          sale: null,
          estimated_total: null,
          currency: null,
          state: 'done',
          conflicts: [{ field: 'street', erp_value: '科技园 2号', yours: null }],
        }),
      ],
    });
    await render(OutboxPage);
    const rows = byTestId('outbox-row');
    expect(text(one('entry-quote', rows[0]))).toBe('Quote #8');
    expect(text(one('entry-quote', rows[1]))).toBe('Quote SQ0012');
    expect(rows[0]!.textContent).toContain('CN¥300.00');
    expect(text(one('entry-conflict', rows[2]))).toBe(
      'The back office changed a street in the ERP to “科技园 2号” since your last sync, so the ERP\'s value stays; yours (“(empty)”) is kept here.',
    );
    setLocale('zh-CN');
    flushSync();
    expect(text(one('entry-quote', byTestId('outbox-row')[0]))).toBe('报价单 #8');
    expect(text(one('entry-conflict'))).toContain('街道改为“科技园 2号”');
  });

  test('discards only after asking, then reloads', async () => {
    let entries = [entryRow({ entry: 3, state: 'rejected' })];
    let discarded: DiscardedRow[] = [];
    const calls = mockBackend({
      discarded: () => discarded,
      outbox: () => entries,
      discard: () => {
        entries = [];
        discarded = [discardedRow({ entry: 3 })];
        return 1;
      },
    });
    await render(OutboxPage);
    expect(byTestId('discarded-in-erp')).toHaveLength(0);
    click(one('entry-discard'));
    expect(commands(calls)).toEqual(['outbox', 'discarded']); // Nothing gone yet: it asks first.
    click(one('entry-discard-confirm'));
    await settle();
    flushSync();
    expect(commands(calls)).toEqual(['outbox', 'discarded', 'discard', 'outbox', 'discarded']);
    expect(text(one('outbox-empty'))).toBe('Nothing waiting.');
    expect(toasts.items.map((toast) => toast.text)).toEqual(['1 entry discarded.']);
    // It was sent once: the next sync looks it up.
    expect(text(one('discarded-words'))).toMatch(/^Entry #3 \(sale for 深圳市艾克米贸易有限公司\), discarded .*the next sync checks/);
  });

  test('a discarded sale the ERP still holds is reported, in both languages', async () => {
    mockBackend({
      outbox: [],
      discarded: [
        discardedRow({ entry: 5, in_erp: true, erp_number: 'SO0051', erp_state: 'quote', checked_at: SYNCED_AT }),
        discardedRow({ entry: 4 }),
      ],
    });
    await render(OutboxPage);
    const rows = byTestId('discarded-row');
    expect(rows.map((row) => row.dataset.inErp)).toEqual(['true', 'false']);
    expect(text(one('discarded-words', rows[0]))).toMatch(/is in the ERP all the same, as SO0051 \(Quotation\)\. It stands there/);
    expect(text(one('discarded-checked', rows[0]))).toMatch(/^Checked /);
    expect(byTestId('discarded-checked', rows[1])).toHaveLength(0);
    expect(text(one('discarded-words', rows[1]))).toMatch(/the next sync checks/);
    setLocale('zh-CN');
    flushSync();
    expect(text(one('discarded-words', rows[0]))).toMatch(/ERP 中仍有它：SO0051（报价中）/);
    setLocale('en');
    flushSync();
  });

  test('Esc closes the question instead of leaving the page', async () => {
    mockBackend({ discarded: [], outbox: [entryRow({ entry: 3 })] });
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
      about: ABOUT,
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
    const calls = mockBackend({ about: ABOUT, save_settings: ({ settings }) => settings });
    session.settings = { language: 'en', sync_interval_seconds: 300 };
    await render(SettingsPage);
    const input = one('settings-interval') as HTMLInputElement;
    expect(input.value).toBe('5');
    type(input, '0.5');
    input.dispatchEvent(new Event('change', { bubbles: true }));
    await settle();
    expect(calls.find((call) => call.command === 'save_settings')!.args).toEqual({
      settings: { language: 'en', sync_interval_seconds: 30 },
    });
  });

  test('says the version and where the logs are', async () => {
    mockBackend({ about: ABOUT });
    await render(SettingsPage);
    await settle();
    expect(one('about-version').textContent).toBe('Fieldbook 0.1.0');
    expect(one('about-logs').textContent).toContain('/home/li/.local/share/com.fieldbook.desktop/logs');
  });
});

const ABOUT = {
  version: '0.1.0',
  data_dir: '/home/li/.local/share/com.fieldbook.desktop',
  log_dir: '/home/li/.local/share/com.fieldbook.desktop/logs',
};

/**
 * The message files are a contract twice over: with each other (every key
 * in both languages) and with the backend (every error code and every
 * value of an enumerated field has words).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { NAV_PAGES } from '../router.svelte';
import { MESSAGES, errorText, hasMessage, label, locale, setLocale, systemLocale, t } from './index.svelte';
import { LOCALES, type Locale } from './locales';

afterEach(() => setLocale('en'));

/** Every leaf key of a message tree, dotted. */
function keys(tree: object, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([name, value]) =>
    typeof value === 'object' && value !== null ? keys(value, `${prefix}${name}.`) : [`${prefix}${name}`],
  );
}

const PLURAL = /_(zero|one|two|few|many|other)$/;

/** The keys without their plural suffixes: Chinese has one form where English has two. */
function baseKeys(locale: Locale): Set<string> {
  return new Set(keys(MESSAGES[locale]).map((key) => key.replace(PLURAL, '')));
}

/** The plural forms each language needs (Intl.PluralRules). */
const PLURAL_FORMS: Record<Locale, string[]> = { en: ['one', 'other'], 'zh-CN': ['other'] };

/**
 * Every code the backend can reject with (crates/app/src/error.rs and the
 * commands), and the window's own for a rejection that is not an AppError.
 */
const ERROR_CODES = [
  'errors.unknown',
  'errors.not_connected',
  'errors.not_found.customer',
  'errors.not_found.product',
  'errors.not_found.entry',
  'errors.not_found.order',
  'errors.not_found.warehouse',
  'errors.not_found.invoice',
  'errors.not_found.quote',
  'errors.not_found.record',
  'errors.connect.missing',
  'errors.connect.already',
  'errors.erp.unreachable',
  'errors.erp.timeout',
  'errors.erp.not_an_erp',
  'errors.erp.unknown_database',
  'errors.erp.login_refused',
  'errors.erp.too_many_logins',
  'errors.erp.session_expired',
  'errors.erp.rejected',
  'errors.erp.warning',
  'errors.erp.concurrent',
  'errors.erp.server',
  'errors.erp.protocol',
  'errors.erp.garbled',
  'errors.erp.sent_meanwhile',
  'errors.erp.too_large',
  'errors.erp.insecure_http',
  'errors.erp.credentials_in_address',
  'errors.erp.not_permitted',
  'errors.cache.missing',
  'errors.cache.exists',
  'errors.cache.wrong_key',
  'errors.cache.damaged',
  'errors.cache.locked',
  'errors.cache.busy',
  'errors.cache.too_new',
  'errors.cache.other',
  'errors.form.invalid',
  'errors.draft.no_lines',
  'errors.draft.quantity',
  'errors.draft.negative_price',
  'errors.draft.price_digits',
  'errors.draft.discount',
  'errors.draft.not_a_number',
  'errors.draft.no_price',
  'errors.request.no_description',
  'errors.request.order_and_invoice',
  'errors.customer.no_name',
  'errors.customer.contact_kind',
  'errors.customer.email',
  'errors.customer.phone',
  'errors.customer.empty_contact',
  'errors.customer.empty_address',
  'errors.customer.country',
  'errors.customer.nothing_to_change',
  'errors.customer.emptied',
  'errors.customer.not_theirs_contact',
  'errors.customer.not_theirs_address',
  'errors.customer.address_emptied',
  'errors.quote.not_a_quote',
  'errors.quote.already_sent',
  'errors.quote.refused',
  'errors.quote.already_an_order',
  'errors.quote.not_in_outbox',
  'errors.refused.product_not_cached',
  'errors.refused.not_for_sale',
  'errors.refused.not_theirs_invoice_address',
  'errors.refused.not_theirs_shipment_address',
  'errors.refused.not_theirs_order',
  'errors.refused.not_theirs_invoice',
  'errors.refused.not_in_erp_yet',
  'errors.refused.already_written',
  'errors.refused.unknown_dependency',
  'errors.notify',
  'errors.settings.unreadable',
  'errors.settings.unwritable',
  'errors.settings.language',
  'errors.settings.interval',
  'errors.sign_out.unsent',
  'errors.sync.running',
  'errors.outbox.not_refused',
  'errors.outbox.in_flight',
  'errors.outbox.unreadable',
  'errors.outbox.not_a_sale',
  'errors.outbox.not_waiting',
  'errors.outbox.accepted',
  'errors.outbox.other_kind_quote',
  'errors.outbox.other_kind_order',
  'errors.outbox.other_customer',
  'errors.outbox.nothing_to_edit',
  'errors.secrets.no_password',
  'errors.secrets.missing',
];

/** Values the backend sends in enumerated fields (see the bindings' comments), by message family. */
const ENUMERATIONS: Record<string, readonly string[]> = {
  'sync.entity': [
    'customers', 'addresses', 'contacts', 'products', 'warehouses', 'stock',
    'orders', 'order_lines', 'invoices', 'payments', 'complaints',
    'categories', 'price_lists', 'price_list_lines', 'promotions',
  ],
  'sync.figure': ['stock', 'credit'],
  'sync.part': [
    'warehouses', 'customers', 'addresses', 'contacts', 'products', 'orders', 'order_lines',
    'invoices', 'payments', 'complaints', 'stock_moves', 'credit_moves', 'stock', 'credit',
    'categories', 'price_lists', 'price_list_lines', 'promotions',
  ],
  orderState: ['draft', 'quote', 'confirmed', 'processing', 'done', 'cancelled'],
  'requests.states': ['draft', 'waiting', 'approved', 'rejected', 'done', 'cancelled', 'unsent'],
  'outbox.state': ['pending', 'done', 'rejected'],
  entryKind: ['quote', 'order', 'quote_to_order', 'customer_new', 'customer_edit', 'request'],
  contactKind: ['phone', 'mobile', 'email', 'fax', 'website'],
  conflictField: ['name', 'contact', 'street', 'postal_code', 'city'],
  'home.status': ['online', 'offline', 'syncing', 'unknown'],
  nav: NAV_PAGES,
  fields: ['url', 'database', 'login', 'password', 'quantity', 'unit_price', 'discount_percent'],
};

describe('the message files', () => {
  test('have the same keys in both languages', () => {
    const english = baseKeys('en');
    const chinese = baseKeys('zh-CN');
    expect([...english].filter((key) => !chinese.has(key)), 'missing in zh-CN.json').toEqual([]);
    expect([...chinese].filter((key) => !english.has(key)), 'missing in en.json').toEqual([]);
  });

  test('have every plural form each language needs, and no other', () => {
    for (const locale of LOCALES) {
      const all = keys(MESSAGES[locale]);
      const plurals = new Set(all.filter((key) => PLURAL.test(key)).map((key) => key.replace(PLURAL, '')));
      for (const base of plurals) {
        const forms = all.filter((key) => key.replace(PLURAL, '') === base && key !== base);
        expect(forms.map((key) => key.slice(base.length + 1)).sort(), `${locale} ${base}`).toEqual(
          [...PLURAL_FORMS[locale]].sort(),
        );
      }
    }
  });

  test('have no empty message', () => {
    for (const locale of LOCALES) {
      const empty = keys(MESSAGES[locale]).filter((key) => {
        const value = key.split('.').reduce<unknown>((tree, name) => (tree as Record<string, unknown>)[name], MESSAGES[locale]);
        return typeof value !== 'string' || value.trim() === '';
      });
      expect(empty, locale).toEqual([]);
    }
  });

  test('have a message for every error code the backend sends, in both languages', () => {
    for (const locale of LOCALES) {
      const missing = ERROR_CODES.filter((code) => !hasMessage(code, locale));
      expect(missing, locale).toEqual([]);
    }
  });

  test('have a word for every value of an enumerated field, in both languages', () => {
    for (const locale of LOCALES) {
      for (const [family, values] of Object.entries(ENUMERATIONS)) {
        const missing = values.filter((value) => !hasMessage(`${family}.${value}`, locale));
        expect(missing, `${locale} ${family}`).toEqual([]);
      }
    }
  });

  test('have every key the code asks for by name', () => {
    const sources = import.meta.glob('/src/**/*.{svelte,ts}', {
      query: '?raw',
      import: 'default',
      eager: true,
    }) as Record<string, string>;
    const used = new Set<string>();
    for (const [path, text] of Object.entries(sources)) {
      if (path.endsWith('.test.ts')) continue;
      for (const match of text.matchAll(/\bt\(\s*'([\w.]+)'/g)) used.add(match[1]!);
      // t(condition ? 'a.key' : 'another.key', ...)
      for (const match of text.matchAll(/\bt\(\s*[^'()]*\?\s*'([\w.]+)'\s*:\s*'([\w.]+)'/g)) {
        used.add(match[1]!);
        used.add(match[2]!);
      }
    }
    expect(used.size).toBeGreaterThan(100); // The scan found the code.
    expect([...used].filter((key) => !hasMessage(key, 'en'))).toEqual([]);
  });

  test('are real translations: the Chinese file is not English', () => {
    setLocale('zh-CN');
    expect(t('nav.customers')).toBe('客户');
    expect(t('outbox.empty')).toBe('没有待发送的内容。');
    setLocale('en');
    expect(t('outbox.empty')).toBe('Nothing waiting.');
  });
});

describe('errorText', () => {
  test('translates a known code with its params', () => {
    const error = { code: 'errors.erp.login_refused', message: 'engine words', params: { login: 'alice' } };
    expect(errorText(error)).toBe('The ERP refused the login “alice”: check the login and the password.');
    setLocale('zh-CN');
    expect(errorText(error)).toBe('ERP 拒绝了用户“alice”的登录：请检查用户名和密码。');
  });

  test('shows the engine’s message for a code it has no words for', () => {
    expect(errorText({ code: 'errors.new_thing', message: 'the engine says so', params: {} })).toBe(
      'the engine says so',
    );
  });

  test('shows the ERP’s own words when the ERP refused or warned', () => {
    const refused = { code: 'errors.erp.rejected', message: 'm', params: { erp_message: '信用额度不足' } };
    expect(errorText(refused)).toBe('The ERP refused: 信用额度不足');
    const warned = { code: 'errors.erp.warning', message: 'm', params: { erp_message: 'Stock is low' } };
    setLocale('zh-CN');
    expect(errorText(warned)).toBe('ERP 警告：Stock is low');
    // Without the ERP's words, the engine's message (which quotes them) is best.
    expect(errorText({ code: 'errors.erp.rejected', message: 'refused: no', params: {} })).toBe('refused: no');
  });

  test('names a missing field in the reader’s language', () => {
    const missing = { code: 'errors.connect.missing', message: 'the database is missing', params: { field: 'database' } };
    expect(errorText(missing)).toBe('Fill in the Database.');
    setLocale('zh-CN');
    expect(errorText(missing)).toBe('请填写数据库。');
  });

  test('picks the plural form from a count sent as a string', () => {
    const unsent = (count: string) => ({ code: 'errors.sign_out.unsent', message: 'm', params: { count } });
    expect(errorText(unsent('1'))).toMatch(/^1 outbox entry has not/);
    expect(errorText(unsent('3'))).toMatch(/^3 outbox entries have not/);
    setLocale('zh-CN');
    expect(errorText(unsent('3'))).toMatch(/^发件箱中还有 3 条/);
  });

  test('names the ERP state of a sale that is not a quote, when the backend gives it', () => {
    const withState = { code: 'errors.quote.not_a_quote', message: 'm', params: { state: 'confirmed' } };
    expect(errorText(withState)).toBe(
      'The ERP has this sale as “Confirmed” as of the last sync, not as a quotation: only a quote becomes an order.',
    );
    expect(errorText({ ...withState, params: {} })).toBe(
      "This is not a quote waiting for the customer's answer: only a quote becomes an order.",
    );
    setLocale('zh-CN');
    expect(errorText(withState)).toBe(
      '根据上次同步，ERP 中该销售单的状态为“已确认”，不是报价单：只有报价单才能转为订单。',
    );
  });

  test('gives errors.unknown the message it carries', () => {
    expect(errorText({ code: 'errors.unknown', message: 'command x not found', params: {} })).toBe(
      'Something unexpected went wrong: command x not found',
    );
  });
});

describe('locale', () => {
  test('switches every message at once', () => {
    setLocale('zh-CN');
    expect(locale()).toBe('zh-CN');
    expect(t('nav.home')).toBe('首页');
    expect(document.documentElement.lang).toBe('zh-CN');
    setLocale('en');
    expect(t('nav.home')).toBe('Home');
  });

  test('follows a Chinese system language, any Chinese, and English otherwise', () => {
    expect(systemLocale('zh-CN')).toBe('zh-CN');
    expect(systemLocale('zh-TW')).toBe('zh-CN');
    expect(systemLocale('zh')).toBe('zh-CN');
    expect(systemLocale('en-US')).toBe('en');
    expect(systemLocale('fr')).toBe('en');
    expect(systemLocale('')).toBe('en');
  });

  test('labels fall back to the backend’s own value when there are no words for it', () => {
    expect(label('orderState', 'confirmed')).toBe('Confirmed');
    expect(label('orderState', 'on_hold')).toBe('on_hold');
    expect(label('orderState', null)).toBe('');
  });
});

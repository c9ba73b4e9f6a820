import { afterEach, describe, expect, test } from 'vitest';
import type { OrderRow } from './bindings/OrderRow';
import { setLocale } from './i18n/index.svelte';
import { isSendableEntry, isSendableOrder, quoteName, quoteRefName, quoteToSend } from './quotes';
import { SYNCED_AT, entryRow } from './testing/fixtures';

afterEach(() => setLocale('en'));

function order(overrides: Partial<OrderRow> = {}): OrderRow {
  return {
    erp_id: 41,
    number: 'SO0042',
    state: 'quote',
    may_become_order: true,
    order_date: '2026-11-20',
    currency: 'CNY',
    total: '4200.00',
    lines: 2,
    synced_at: SYNCED_AT,
    sent_as_order: null,
    ...overrides,
  };
}

describe('QuoteToSend', () => {
  test('names the outbox entry for a quote written here, and nothing else', () => {
    expect(quoteToSend({ of: 'entry', entry: entryRow({ entry: 5, kind: 'quote' }) })).toEqual({ entry: 5, order_id: null });
  });

  test('names the ERP’s sale for a quote the ERP holds, and nothing else', () => {
    expect(quoteToSend({ of: 'order', order: order({ erp_id: 41 }) })).toEqual({ entry: null, order_id: 41 });
  });
});

describe('which quotes can be sent as orders', () => {
  test('an outbox entry: a quote waiting to be sent, not one accepted or refused', () => {
    const quote = (state: string) => entryRow({ kind: 'quote', state });
    expect(isSendableEntry(quote('pending'))).toBe(true);
    expect(isSendableEntry(quote('done'))).toBe(false);
    expect(isSendableEntry(quote('rejected'))).toBe(false);
    expect(isSendableEntry(entryRow({ kind: 'order', state: 'pending' }))).toBe(false);
    expect(isSendableEntry(entryRow({ kind: 'quote_to_order', state: 'pending', sale: null }))).toBe(false);
    // Sent once already: the store takes one quote-to-order entry per quote.
    expect(isSendableEntry(entryRow({ kind: 'quote', state: 'pending', sent_as_order: 9 }))).toBe(false);
  });

  test('an ERP sale: one whose state may become an order (the backend says), not sent already', () => {
    expect(isSendableOrder(order())).toBe(true);
    expect(isSendableOrder(order({ sent_as_order: 12 }))).toBe(false);
    expect(isSendableOrder(order({ state: 'confirmed', may_become_order: false }))).toBe(false);
  });
});

test('a quote in words', () => {
  expect(quoteName({ of: 'entry', entry: entryRow({ entry: 5, kind: 'quote' }) })).toBe('Quote #5');
  expect(quoteName({ of: 'order', order: order() })).toBe('Quote SO0042');
  expect(quoteName({ of: 'order', order: order({ number: null }) })).toBe('Quote (no number)');
  setLocale('zh-CN');
  expect(quoteName({ of: 'order', order: order() })).toBe('报价单 SO0042');
});

test('the quote a quote-to-order entry confirms, in words', () => {
  expect(quoteRefName({ number: 'SO0042', entry: 5 })).toBe('Quote SO0042');
  expect(quoteRefName({ number: null, entry: 5 })).toBe('Quote #5');
  expect(quoteRefName({ number: null, entry: null })).toBe('Quote (no number)');
});

/**
 * Quotes the customer said yes to, sent to become orders (`send_quote`).
 *
 * A quote is either one written here (an outbox entry of kind `quote`) or
 * one the ERP holds (a recent order that `may_become_order`); the
 * backend takes exactly one of the two (`QuoteToSend`), so the choice is
 * one value here too.
 */
import type { EntryRow } from './bindings/EntryRow';
import type { OrderRow } from './bindings/OrderRow';
import type { QuoteRef } from './bindings/QuoteRef';
import type { QuoteToSend } from './bindings/QuoteToSend';
import { t } from './i18n/index.svelte';
import { entryName } from './sync.svelte';

export type Quote = { of: 'entry'; entry: EntryRow } | { of: 'order'; order: OrderRow };

/**
 * Whether an outbox entry is a quote that can be sent as an order: one the
 * ERP has not refused, not accepted yet either (once accepted, it is among
 * the customer's orders and is sent from there), and not sent already.
 */
export function isSendableEntry(entry: EntryRow): boolean {
  return (
    entry.kind === 'quote' &&
    entry.state !== 'done' &&
    entry.state !== 'rejected' &&
    entry.sent_as_order === null
  );
}

/**
 * Whether the ERP's quote can be sent as an order: the backend says whether
 * its state allows it (fieldbook_core::SaleState), and it was not sent
 * already.
 */
export function isSendableOrder(order: OrderRow): boolean {
  return order.may_become_order && order.sent_as_order === null;
}

/** What the backend takes: the entry or the order, never both. */
export function quoteToSend(quote: Quote): QuoteToSend {
  return quote.of === 'entry'
    ? { entry: quote.entry.entry, order_id: null }
    : { entry: null, order_id: quote.order.erp_id };
}

/** The quote in words ("Quote #5", "quote SO0042"). */
export function quoteName(quote: Quote): string {
  if (quote.of === 'entry') return entryName(quote.entry.entry, quote.entry);
  return quote.order.number
    ? t('quote.erpQuote', { number: quote.order.number })
    : t('quote.erpQuoteNoNumber');
}

/**
 * The quote a quote-to-order entry confirms, named as {@link quoteName}
 * names it: by the ERP's number once it has one, else as the outbox entry
 * that carries it ("Quote #8").
 */
export function quoteRefName(quote: QuoteRef): string {
  if (quote.number) return t('quote.erpQuote', { number: quote.number });
  if (quote.entry !== null) {
    return t('outbox.kindNumber', { kind: t('entryKind.quote'), entry: quote.entry });
  }
  return t('quote.erpQuoteNoNumber');
}

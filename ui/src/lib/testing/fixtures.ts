/**
 * Backend answers for tests, shaped by the generated bindings so that a
 * change on the Rust side breaks the tests that rely on it. Times are
 * fixed: tests pass "now" in.
 */
import type { CustomerDetail } from '../bindings/CustomerDetail';
import type { DiscardedRow } from '../bindings/DiscardedRow';
import type { EntryRow } from '../bindings/EntryRow';
import type { Hit } from '../bindings/Hit';
import type { Home } from '../bindings/Home';
import type { SaleForm } from '../bindings/SaleForm';
import type { SalePreview } from '../bindings/SalePreview';
import type { Session } from '../bindings/Session';

export const SYNCED_AT = '2026-11-25T01:14:00Z';

export function session(overrides: Partial<Session> = {}): Session {
  return {
    needs_setup: false,
    erp: { url: 'http://erp.example.com:8000/', database: 'prod', login: 'alice' },
    settings: { language: 'en', sync_interval_seconds: 300 },
    ...overrides,
  };
}

export function customerHit(erpId: number, name: string, code: string | null = null): Hit {
  return { kind: 'customer', erp_id: erpId, code, name };
}

export function productHit(erpId: number, name: string, code: string | null = null): Hit {
  return { kind: 'product', erp_id: erpId, code, name };
}

export function customer(overrides: Partial<CustomerDetail> = {}): CustomerDetail {
  return {
    erp_id: 7,
    code: 'C-ACME',
    name: '深圳市艾克米贸易有限公司',
    tax_id: null,
    synced_at: SYNCED_AT,
    provisional: false,
    addresses: [
      {
        erp_id: 11,
        one_line: '南山区科技园 1号, 深圳',
        street: '南山区科技园 1号',
        postal_code: null,
        city: '深圳',
        invoice: false,
        delivery: true,
      },
      {
        erp_id: 12,
        one_line: '福田区深南大道 100号, 518000 深圳',
        street: '福田区深南大道 100号',
        postal_code: '518000',
        city: '深圳',
        invoice: true,
        delivery: false,
      },
    ],
    contacts: [{ erp_id: 21, kind: 'phone', value: '+86 755 1234 5678' }],
    credit: {
      currency: 'CNY',
      limit: '100000.00',
      used: '40000.00',
      available: '60000.00',
      unsent: '5000.00',
      available_after_unsent: '55000.00',
      receivable: '40000.00',
      synced_at: SYNCED_AT,
    },
    open_invoices: [
      {
        erp_id: 31,
        number: 'INV-0001',
        invoice_date: '2026-10-01',
        due_date: '2026-10-31',
        overdue: true,
        currency: 'CNY',
        total: '1200.00',
        amount_to_pay: '1200.00',
        synced_at: SYNCED_AT,
      },
    ],
    recent_orders: [
      {
        erp_id: 41,
        number: 'SO0042',
        state: 'confirmed',
        may_become_order: false,
        order_date: '2026-11-20',
        currency: 'CNY',
        total: '4200.00',
        lines: 2,
        synced_at: SYNCED_AT,
        sent_as_order: null,
      },
    ],
    recent_payments: [],
    requests: [],
    unsent: [],
    ...overrides,
  };
}

export function saleForm(overrides: Partial<SaleForm> = {}): SaleForm {
  return {
    kind: 'order',
    customer_id: 7,
    lines: [{ product_id: 101, quantity: '2', unit_price: null, discount_percent: null }],
    invoice_address_id: 12,
    shipment_address_id: 11,
    warehouse_id: 1,
    requested_date: null,
    reference: null,
    note: null,
    ...overrides,
  };
}

export function entryRow(overrides: Partial<EntryRow> = {}): EntryRow {
  return {
    entry: 5,
    kind: 'order',
    customer_id: 7,
    customer_name: 'ACME',
    state: 'pending',
    waiting: false,
    in_flight: false,
    attempts: 0,
    next_attempt_at: null,
    erp_message: null,
    warning: null,
    erp_id: null,
    erp_number: null,
    estimated_total: '300.00',
    currency: 'CNY',
    conflicts: [],
    price_differences: [],
    quote: null,
    sent_as_order: null,
    sale: saleForm(),
    description: null,
    created_at: SYNCED_AT,
    updated_at: SYNCED_AT,
    ...overrides,
  };
}

export function discardedRow(overrides: Partial<DiscardedRow> = {}): DiscardedRow {
  return {
    entry: 3,
    kind: 'sale',
    customer_name: '深圳市艾克米贸易有限公司',
    discarded_at: SYNCED_AT,
    in_erp: false,
    erp_number: null,
    erp_state: null,
    checked_at: null,
    ...overrides,
  };
}

export function preview(overrides: Partial<SalePreview> = {}): SalePreview {
  return {
    lines: [
      {
        product_id: 101,
        code: 'P-TEA',
        name: '龙井茶',
        unit: 'kg',
        list_price: '150.00',
        price: '150.00',
        source: { kind: 'list_price', words: 'list price', list: null, from_quantity: null, formula: null },
        promotion: null,
        unit_price: '150.00',
        amount: '300.00',
        unknown: null,
        typed_price_replaced: false,
      },
    ],
    estimated_total: '300.00',
    unpriced_lines: 0,
    currency: 'CNY',
    price_list: null,
    promotions: [],
    credit: {
      currency: 'CNY',
      available: '60000.00',
      unsent: '5000.00',
      this_draft: '300.00',
      left: '54700.00',
      over: false,
      synced_at: SYNCED_AT,
    },
    stock: [],
    problem: null,
    ...overrides,
  };
}

export function home(overrides: Partial<Home> = {}): Home {
  return {
    erp: session().erp,
    connectivity: { online: true, syncing: false, last_attempt_at: SYNCED_AT, last_error: null },
    last_sync_at: SYNCED_AT,
    customers: 1234,
    products: 56,
    pending: 2,
    rejected: [],
    not_readable: [],
    ...overrides,
  };
}

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { EditorState } from './editor.svelte';
import { appError, clearMocks, mockBackend } from './testing/backend';
import { customer, preview, productHit, saleForm } from './testing/fixtures';

const TEA = productHit(101, '龙井茶', 'P-TEA');
const CUP = productHit(102, 'Tea cup', 'P-CUP');

function newOrder(): EditorState {
  return new EditorState({ kind: 'order', customerId: 7, entry: null }, 100);
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  clearMocks();
});

describe('lines', () => {
  test('a product found by search becomes a line of one at its list price', () => {
    const editor = newOrder();
    const line = editor.addProduct(TEA);
    expect(line).toMatchObject({ productId: 101, code: 'P-TEA', name: '龙井茶', quantity: '1', unitPrice: '', discount: '' });
    expect(editor.form().lines).toEqual([{ product_id: 101, quantity: '1', unit_price: null, discount_percent: null }]);
  });

  test('the same product may be on two lines, and removing one leaves the other', () => {
    const editor = newOrder();
    const first = editor.addProduct(TEA);
    editor.addProduct(CUP);
    const third = editor.addProduct(TEA);
    third.quantity = '5';
    editor.removeLine(first.key);
    expect(editor.form().lines.map((line) => [line.product_id, line.quantity])).toEqual([
      [102, '1'],
      [101, '5'],
    ]);
  });

  test('what is typed is sent as typed, trimmed, with blanks as null', () => {
    const editor = newOrder();
    const line = editor.addProduct(TEA);
    line.quantity = ' 2.5 ';
    line.unitPrice = '148.00';
    line.discount = '  ';
    editor.reference = '  PO-118 ';
    editor.note = '周五前送达';
    editor.requestedDate = '2026-12-01';
    const form = editor.form();
    expect(form.lines[0]).toEqual({ product_id: 101, quantity: '2.5', unit_price: '148.00', discount_percent: null });
    expect(form).toMatchObject({ kind: 'order', customer_id: 7, reference: 'PO-118', note: '周五前送达', requested_date: '2026-12-01' });
  });

  test('an empty editor makes an empty form the backend then refuses', () => {
    expect(newOrder().form()).toEqual({
      kind: 'order',
      customer_id: 7,
      lines: [],
      invoice_address_id: null,
      shipment_address_id: null,
      warehouse_id: null,
      requested_date: null,
      reference: null,
      note: null,
    });
  });
});

describe('editing an entry', () => {
  test('loads the entry’s form and gives it back unchanged', () => {
    const form = saleForm({
      kind: 'quote',
      lines: [
        { product_id: 101, quantity: '2', unit_price: '150.00', discount_percent: '10' },
        { product_id: 102, quantity: '1', unit_price: '20.00', discount_percent: null },
      ],
      requested_date: '2026-12-01',
      reference: 'PO-118',
      note: null,
    });
    const editor = new EditorState({ kind: 'order', customerId: 7, entry: 5, form });
    expect(editor.kind).toBe('quote');
    expect(editor.entry).toBe(5);
    expect(editor.form()).toEqual(form);
  });
});

describe('defaults', () => {
  test('pick the first invoice and delivery addresses, as the backend would', () => {
    const editor = newOrder();
    editor.defaultAddresses(customer().addresses);
    expect([editor.invoiceAddressId, editor.shipmentAddressId]).toEqual([12, 11]);
  });

  test('fall back to the first address, and never override a choice', () => {
    const editor = newOrder();
    editor.shipmentAddressId = 99;
    editor.defaultAddresses([
      { erp_id: 3, one_line: 'x', street: 'x', postal_code: null, city: null, invoice: false, delivery: false },
    ]);
    expect([editor.invoiceAddressId, editor.shipmentAddressId]).toEqual([3, 99]);
    editor.defaultWarehouse([{ erp_id: 1, code: 'WH', name: 'Main' }, { erp_id: 2, code: null, name: 'Other' }]);
    expect(editor.warehouseId).toBe(1);
    editor.defaultWarehouse([{ erp_id: 2, code: null, name: 'Other' }]);
    expect(editor.warehouseId).toBe(1);
  });

  test('leave nothing picked when the customer has no address', () => {
    const editor = newOrder();
    editor.defaultAddresses([]);
    editor.defaultWarehouse([]);
    expect([editor.invoiceAddressId, editor.shipmentAddressId, editor.warehouseId]).toEqual([null, null, null]);
  });
});

describe('preview', () => {
  test('is asked for once the editor is still, with the latest form and the entry edited', async () => {
    const calls = mockBackend({ preview_sale: preview() });
    const editor = new EditorState({ kind: 'order', customerId: 7, entry: 5 }, 100);
    editor.addProduct(TEA);
    editor.schedulePreview();
    editor.lines[0]!.quantity = '2';
    editor.schedulePreview();
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args).toEqual({ form: editor.form(), editing: 5 });
    expect(editor.preview?.estimated_total).toBe('300.00');
  });

  test('matches line previews to lines by position when asked, not after lines move', async () => {
    mockBackend({ preview_sale: preview() });
    const editor = newOrder();
    const tea = editor.addProduct(TEA);
    await editor.refreshPreview();
    expect(editor.linePreview(tea.key)?.amount).toBe('300.00');
    // A line added since is not in the preview yet.
    const cup = editor.addProduct(CUP);
    expect(editor.linePreview(cup.key)).toBeNull();
    editor.removeLine(tea.key);
    expect(editor.linePreview(tea.key)).toBeNull();
  });

  test('its problem is what keeps the draft from being saved', async () => {
    const problem = appError('errors.draft.quantity', 'line 1: ...', { line: '1', quantity: '0' });
    mockBackend({ preview_sale: preview({ problem }) });
    const editor = newOrder();
    editor.addProduct(TEA);
    expect(editor.canSave).toBe(true);
    await editor.refreshPreview();
    expect(editor.problem).toEqual(problem);
    expect(editor.canSave).toBe(false);
  });

  test('a preview the backend could not make is a problem too', async () => {
    mockBackend({
      preview_sale: () => {
        throw appError('errors.not_found.product', 'no product 101', { key: '101' });
      },
    });
    const editor = newOrder();
    editor.addProduct(TEA);
    await editor.refreshPreview();
    expect(editor.problem?.code).toBe('errors.not_found.product');
  });

  test('an answer to an older form is dropped', async () => {
    const answers: Array<() => void> = [];
    mockBackend({
      preview_sale: ({ form }) =>
        new Promise((resolve) => {
          const total = (form as { lines: unknown[] }).lines.length === 1 ? '1.00' : '2.00';
          answers.push(() => resolve(preview({ estimated_total: total })));
        }),
    });
    const editor = newOrder();
    editor.addProduct(TEA);
    const older = editor.refreshPreview();
    editor.addProduct(CUP);
    const newer = editor.refreshPreview();
    answers[1]!();
    await newer;
    answers[0]!();
    await older;
    expect(editor.preview?.estimated_total).toBe('2.00');
  });

  test('nothing is asked for after the editor closed', async () => {
    const calls = mockBackend({ preview_sale: preview() });
    const editor = newOrder();
    editor.schedulePreview();
    editor.dispose();
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toHaveLength(0);
  });
});

describe('save', () => {
  test('sends the form and the entry edited, and resolves with the entry saved', async () => {
    const calls = mockBackend({ save_sale: { entry: 8 } });
    const editor = new EditorState({ kind: 'quote', customerId: 7, entry: 8 });
    editor.addProduct(TEA);
    await expect(editor.save()).resolves.toEqual({ entry: 8 });
    expect(calls).toEqual([{ command: 'save_sale', args: { form: editor.form(), editing: 8 } }]);
    expect(editor.saving).toBe(false);
  });

  test('keeps the error when the backend refuses, and can be tried again', async () => {
    mockBackend({
      save_sale: () => {
        throw appError('errors.draft.no_lines', 'no lines');
      },
    });
    const editor = newOrder();
    await expect(editor.save()).rejects.toMatchObject({ code: 'errors.draft.no_lines' });
    expect(editor.saveError?.code).toBe('errors.draft.no_lines');
    expect(editor.saving).toBe(false);
    expect(editor.canSave).toBe(false); // And no lines.
  });
});

import { emit } from '@tauri-apps/api/event';
import { afterEach, describe, expect, test } from 'vitest';
import type { SyncEvent } from './bindings/SyncEvent';
import { IpcError, UNKNOWN_ERROR, call, ipc, onSyncEvent, toIpcError } from './ipc';
import { appError, clearMocks, mockBackend } from './testing/backend';
import { saleForm } from './testing/fixtures';

afterEach(() => clearMocks());

/** What `command` rejects with when the backend rejects with `reason`. */
async function rejection(reason: unknown): Promise<IpcError> {
  mockBackend({
    home: () => {
      throw reason;
    },
  });
  try {
    await ipc.home();
  } catch (error) {
    return error as IpcError;
  }
  throw new Error('the command did not reject');
}

describe('commands', () => {
  test('go by their Rust name with camelCase arguments, and resolve with the answer', async () => {
    const calls = mockBackend({ preview_sale: { estimated_total: '1.00' }, search: [], discard: 2 });
    await expect(ipc.previewSale(saleForm(), 5)).resolves.toEqual({ estimated_total: '1.00' });
    await ipc.search('华为', 'customer');
    await expect(ipc.discard(9)).resolves.toBe(2);
    expect(calls).toEqual([
      { command: 'preview_sale', args: { form: saleForm(), editing: 5 } },
      { command: 'search', args: { text: '华为', kind: 'customer' } },
      { command: 'discard', args: { entry: 9 } },
    ]);
  });

  test('for customers and quotes, wrap the form or the quote as the Rust side names it', async () => {
    const calls = mockBackend({
      new_customer: { entry: 4, customer_id: -1, code: 'NEW-1' },
      edit_customer: { entry: 5 },
      send_quote: { entry: 6 },
    });
    const form = { name: 'ACME', addresses: [], contacts: [{ kind: 'phone', value: '1' }] };
    const edit = { customer_id: 7, name: null, contacts: [], addresses: [], new_addresses: [], new_contacts: [] };
    await expect(ipc.newCustomer(form)).resolves.toEqual({ entry: 4, customer_id: -1, code: 'NEW-1' });
    await expect(ipc.editCustomer(edit)).resolves.toEqual({ entry: 5 });
    await expect(ipc.sendQuote({ entry: null, order_id: 41 })).resolves.toEqual({ entry: 6 });
    expect(calls).toEqual([
      { command: 'new_customer', args: { form } },
      { command: 'edit_customer', args: { form: edit } },
      { command: 'send_quote', args: { quote: { entry: null, order_id: 41 } } },
    ]);
  });

  test('send a null argument as null, not leave it out', async () => {
    const calls = mockBackend({ save_sale: { entry: 1 }, search: [] });
    await ipc.saveSale(saleForm(), null);
    await ipc.search('acme', null);
    expect(calls[0]!.args).toEqual({ form: saleForm(), editing: null });
    expect(calls[1]!.args).toEqual({ text: 'acme', kind: null });
  });
});

describe('errors', () => {
  test('an AppError becomes an IpcError with its code, params, message and transience', async () => {
    const error = await rejection(
      appError('errors.erp.unreachable', 'cannot reach the ERP', { url: 'http://erp:8000/' }, true),
    );
    expect(error).toBeInstanceOf(IpcError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('errors.erp.unreachable');
    expect(error.message).toBe('cannot reach the ERP');
    expect(error.params).toEqual({ url: 'http://erp:8000/' });
    expect(error.transient).toBe(true);
    expect(error.toAppError()).toEqual(
      appError('errors.erp.unreachable', 'cannot reach the ERP', { url: 'http://erp:8000/' }, true),
    );
  });

  test('an AppError missing params or transient gets empty params and is not transient', async () => {
    const error = await rejection({ code: 'errors.cache.locked', message: 'in use' });
    expect(error.params).toEqual({});
    expect(error.transient).toBe(false);
  });

  test('params that are not strings are made strings', async () => {
    const error = await rejection({ code: 'errors.sign_out.unsent', message: 'm', params: { count: 3 } });
    expect(error.params).toEqual({ count: '3' });
  });

  test('a string rejection (Tauri’s own, a missing command) is errors.unknown with the string', async () => {
    const error = await rejection('command home not found');
    expect(error.code).toBe(UNKNOWN_ERROR);
    expect(error.message).toBe('command home not found');
    expect(error.transient).toBe(false);
  });

  test('an Error or anything else is errors.unknown with what it says', async () => {
    expect((await rejection(new TypeError('boom'))).message).toBe('boom');
    const odd = await rejection({ unexpected: true });
    expect(odd.code).toBe(UNKNOWN_ERROR);
    expect(odd.message).toBe('{"unexpected":true}');
  });

  test('toIpcError leaves an IpcError as it is', () => {
    const error = new IpcError('errors.x', 'x');
    expect(toIpcError(error)).toBe(error);
  });

  test('call() itself maps rejections too', async () => {
    mockBackend({});
    await expect(call('nonexistent')).rejects.toMatchObject({ code: 'errors.test.unmocked' });
  });
});

describe('sync events', () => {
  test('reach the handler as their payload until unlistened', async () => {
    mockBackend({});
    const seen: SyncEvent[] = [];
    const unlisten = await onSyncEvent((event) => seen.push(event));
    await emit('sync', { event: 'pulling', entity: 'customers', done: 10, total: 100 });
    unlisten();
    await emit('sync', { event: 'started' });
    expect(seen).toEqual([{ event: 'pulling', entity: 'customers', done: 10, total: 100 }]);
  });
});

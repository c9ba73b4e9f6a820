import { afterEach, describe, expect, test } from 'vitest';
import { RequestDraft, parseSubject, subjectValue } from './request.svelte';
import { appError, clearMocks, mockBackend } from './testing/backend';

afterEach(() => clearMocks());

describe('RequestDraft', () => {
  test('is about the customer alone until an order or an invoice is picked', () => {
    const draft = new RequestDraft(7);
    draft.description = '  三箱茶叶受潮 ';
    expect(draft.form()).toEqual({ customer_id: 7, description: '三箱茶叶受潮', order_id: null, invoice_id: null });
    draft.subject = { about: 'order', id: 41 };
    expect(draft.form()).toMatchObject({ order_id: 41, invoice_id: null });
    draft.subject = { about: 'invoice', id: 31 };
    expect(draft.form()).toMatchObject({ order_id: null, invoice_id: 31 });
  });

  test('needs a description', () => {
    const draft = new RequestDraft(7);
    expect(draft.complete).toBe(false);
    draft.description = ' \n ';
    expect(draft.complete).toBe(false);
    draft.description = 'x';
    expect(draft.complete).toBe(true);
  });

  test('saves through save_request and keeps the backend’s refusal', async () => {
    let refuse = true;
    const calls = mockBackend({
      save_request: () => {
        if (refuse) throw appError('errors.request.no_description', 'describe it');
        return { entry: 12 };
      },
    });
    const draft = new RequestDraft(7);
    await expect(draft.save()).rejects.toMatchObject({ code: 'errors.request.no_description' });
    expect(draft.error?.code).toBe('errors.request.no_description');
    refuse = false;
    draft.description = 'training';
    await expect(draft.save()).resolves.toEqual({ entry: 12 });
    expect(draft.error).toBeNull();
    expect(calls.at(-1)?.args).toEqual({
      form: { customer_id: 7, description: 'training', order_id: null, invoice_id: null },
    });
  });
});

test('a subject survives the trip through a select’s value', () => {
  for (const subject of [{ about: 'customer' }, { about: 'order', id: 41 }, { about: 'invoice', id: -3 }] as const) {
    expect(parseSubject(subjectValue(subject))).toEqual(subject);
  }
  expect(parseSubject('garbage')).toEqual({ about: 'customer' });
});

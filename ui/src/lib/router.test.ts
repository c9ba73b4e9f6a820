import { describe, expect, test } from 'vitest';
import { HISTORY_LIMIT, type Route, Router, sameRoute } from './router.svelte';

const customer = (id: number): Route => ({ page: 'customer', id });
const editor: Route = { page: 'editor', customerId: 7, kind: 'order', entry: null };

describe('Router', () => {
  test('starts at home with nowhere to go back to', () => {
    const router = new Router();
    expect(router.current).toEqual({ page: 'home' });
    expect(router.canGoBack).toBe(false);
  });

  test('goes back through the pages visited, most recent first, then home', () => {
    const router = new Router();
    router.navigate({ page: 'customers' });
    router.navigate(customer(7));
    router.back();
    expect(router.current).toEqual({ page: 'customers' });
    router.back();
    expect(router.current).toEqual({ page: 'home' });
    router.back();
    expect(router.current).toEqual({ page: 'home' });
  });

  test('does not stack the page it is already on', () => {
    const router = new Router();
    router.navigate({ page: 'outbox' });
    router.navigate({ page: 'outbox' });
    router.back();
    expect(router.current).toEqual({ page: 'home' });
  });

  test('replace leaves no way back to the page it replaces', () => {
    const router = new Router();
    router.navigate(customer(7));
    router.navigate(editor);
    router.replace({ page: 'outbox' });
    router.back();
    expect(router.current).toEqual(customer(7));
  });

  test('reset forgets the history', () => {
    const router = new Router();
    router.navigate({ page: 'settings' });
    router.reset({ page: 'first-sync' });
    expect(router.current).toEqual({ page: 'first-sync' });
    expect(router.canGoBack).toBe(false);
  });

  test('keeps only the most recent pages', () => {
    const router = new Router();
    for (let id = 1; id <= HISTORY_LIMIT + 10; id++) router.navigate(customer(id));
    let steps = 0;
    while (router.canGoBack) {
      router.back();
      steps++;
    }
    expect(steps).toBe(HISTORY_LIMIT);
    // On customer 60, with 10..59 behind it: home and 1..9 fell off.
    expect(router.current).toEqual(customer(10));
  });

  test('Esc goes back except where it would throw away what was typed', () => {
    const router = new Router();
    router.navigate(customer(7));
    expect(router.escapeGoesBack).toBe(true);
    router.navigate(editor);
    expect(router.escapeGoesBack).toBe(false);
    router.navigate({ page: 'request', customerId: 7 });
    expect(router.escapeGoesBack).toBe(false);
    router.navigate({ page: 'customer-new' });
    expect(router.escapeGoesBack).toBe(false);
    router.navigate({ page: 'customer-edit', id: 7 });
    expect(router.escapeGoesBack).toBe(false);
  });

  test('puts each page under its navigation section', () => {
    const router = new Router();
    const section = (route: Route) => {
      router.navigate(route);
      return router.section;
    };
    expect(section(customer(7))).toBe('customers');
    expect(section(editor)).toBe('customers');
    expect(section({ page: 'customer-new' })).toBe('customers');
    expect(section({ page: 'customer-edit', id: 7 })).toBe('customers');
    expect(section({ page: 'product', id: 3 })).toBe('products');
    expect(section({ page: 'outbox' })).toBe('outbox');
    expect(section({ page: 'first-sync' })).toBe('home');
  });
});

test('sameRoute compares what a route shows, whatever the order of its fields', () => {
  expect(sameRoute(customer(7), { id: 7, page: 'customer' } as Route)).toBe(true);
  expect(sameRoute(customer(7), customer(8))).toBe(false);
  expect(sameRoute(editor, { ...editor, entry: 3 })).toBe(false);
});

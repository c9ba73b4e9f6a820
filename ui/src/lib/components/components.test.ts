/**
 * The shared components that hold a little logic of their own: which age a
 * card of synced figures shows, and which of a resource's states a page
 * shows.
 */
import { createRawSnippet, flushSync } from 'svelte';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { clock } from '../clock.svelte';
import { setLocale } from '../i18n/index.svelte';
import { Resource } from '../resource.svelte';
import { appError, settle } from '../testing/backend';
import { byTestId, cleanup, one, render, text } from '../testing/render';
import Loaded from './Loaded.svelte';
import SyncedCard from './SyncedCard.svelte';

beforeEach(() => {
  setLocale('en');
  clock.now = Date.parse('2026-11-25T03:14:00Z');
});
afterEach(cleanup);

const table = createRawSnippet(() => ({ render: () => '<table data-testid="the-table"></table>' }));

function card(props: Partial<Parameters<typeof SyncedCard>[1]> = {}) {
  return render(SyncedCard, {
    title: 'Open invoices',
    synced: null,
    empty: false,
    emptyText: 'No open invoices.',
    ageTestid: 'the-age',
    children: table,
    ...props,
  });
}

describe('SyncedCard', () => {
  test('shows the age of the stalest row, ignoring rows with no time', async () => {
    const target = await card({ synced: ['2026-11-25T02:14:00Z', null, '2026-11-25T01:14:00Z', undefined] });
    expect(text(target.querySelector('h2')!)).toBe('Open invoices');
    expect(text(one('the-age'))).toBe('as of 2h ago');
    expect(byTestId('the-table')).toHaveLength(1);
  });

  test('takes a single sync time as it is', async () => {
    await card({ synced: '2026-11-25T02:14:00Z' });
    expect(text(one('the-age'))).toBe('as of 1h ago');
  });

  test('shows no age when nothing says when it was synced', async () => {
    await card({ synced: [null] });
    expect(byTestId('the-age')).toHaveLength(0);
    await card({ synced: undefined });
    expect(byTestId('the-age')).toHaveLength(0);
  });

  test('says there is nothing instead of the table when empty', async () => {
    const target = await card({ synced: [], empty: true, testid: 'the-card' });
    expect(text(one('the-card').querySelector('.empty')!)).toBe('No open invoices.');
    expect(byTestId('the-table')).toHaveLength(0);
    expect(target.querySelectorAll('.card')).toHaveLength(1);
  });
});

describe('Loaded', () => {
  const name = createRawSnippet((data: () => { name: string }) => ({
    render: () => `<p data-testid="the-data">${data().name}</p>`,
  }));

  test('shows "loading" until the data is in, then the data, and keeps it through a reload', async () => {
    const answers: Array<(data: { name: string }) => void> = [];
    const resource = new Resource(() => new Promise<{ name: string }>((resolve) => answers.push(resolve)));
    void resource.load();
    const target = await render(Loaded<{ name: string }>, { resource, children: name });
    expect(target.querySelector('[aria-busy="true"]')).not.toBeNull();
    expect(byTestId('the-data')).toHaveLength(0);

    answers[0]!({ name: 'ACME' });
    await settle();
    flushSync();
    expect(target.querySelector('[aria-busy="true"]')).toBeNull();
    expect(text(one('the-data'))).toBe('ACME');

    void resource.load(); // A sync finished: read again, and show what was there meanwhile.
    flushSync();
    expect(resource.loading).toBe(true);
    expect(target.querySelector('[aria-busy="true"]')).toBeNull();
    expect(text(one('the-data'))).toBe('ACME');
  });

  test('shows the backend’s error rather than the data', async () => {
    const resource = new Resource<{ name: string }>(() => Promise.reject(appError('errors.not_found.customer', 'x', { key: '9' })));
    await resource.load();
    const target = await render(Loaded<{ name: string }>, { resource, children: name });
    expect(target.querySelector('[role="alert"]')?.getAttribute('data-code')).toBe('errors.not_found.customer');
    expect(byTestId('the-data')).toHaveLength(0);
  });
});

import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Hit } from './bindings/Hit';
import { searches } from './perf';
import { SearchState } from './search.svelte';
import { appError, clearMocks, mockBackend } from './testing/backend';
import { customerHit } from './testing/fixtures';

const HITS = [customerHit(1, '深圳市华为技术有限公司', 'C-HUAWEI'), customerHit(2, '华为终端有限公司'), customerHit(3, '华为云')];

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  clearMocks();
});

/** Advances past the typing pause and lets the answer in. */
async function pause(): Promise<void> {
  await vi.advanceTimersByTimeAsync(200);
}

describe('SearchState', () => {
  test('asks once typing pauses, with the trimmed text and its kind', async () => {
    const calls = mockBackend({ search: HITS });
    const search = new SearchState('customer', 100);
    search.type('华');
    search.type('华为 ');
    expect(calls).toHaveLength(0);
    expect(search.searching).toBe(true);
    await pause();
    expect(calls).toEqual([{ command: 'search', args: { text: '华为', kind: 'customer' } }]);
    expect(search.hits.map((hit) => hit.erp_id)).toEqual([1, 2, 3]);
    expect(search.answered).toBe('华为 ');
    expect(search.searching).toBe(false);
  });

  test('records how long each answered keystroke took to show, for the benchmark', async () => {
    mockBackend({ search: HITS });
    const search = new SearchState('customer', 0);
    const before = searches().length;
    search.type('华为');
    await pause();
    // Two animation frames (jsdom runs them on timers) until it is on screen.
    await vi.advanceTimersByTimeAsync(100);
    expect(searches().length).toBe(before + 1);
    const latest = searches().at(-1);
    expect(latest?.text).toBe('华为');
    expect(latest?.total ?? -1).toBeGreaterThanOrEqual(0);
  });

  test('drops an answer that arrives after a later one', async () => {
    const answers: Record<string, (hits: Hit[]) => void> = {};
    mockBackend({ search: ({ text }) => new Promise((resolve) => (answers[text as string] = resolve)) });
    const search = new SearchState('customer', 60_000);
    search.type('acm');
    const first = search.run();
    search.type('acme'); // The salesperson typed on before the first answer.
    const second = search.run();
    await vi.advanceTimersByTimeAsync(1);
    answers.acme!([customerHit(2, 'ACME Trading')]);
    await second;
    answers.acm!([customerHit(1, 'Acme Old')]);
    await first;
    expect(search.hits.map((hit) => hit.name)).toEqual(['ACME Trading']);
    expect(search.answered).toBe('acme');
  });

  test('clears at once when the text is emptied, and ignores what was on its way', async () => {
    mockBackend({ search: HITS });
    const search = new SearchState('customer', 100);
    search.type('华为');
    await pause();
    search.type('  ');
    expect(search.hits).toEqual([]);
    expect(search.answered).toBeNull();
    expect(search.searching).toBe(false);
  });

  test('says what went wrong, and keeps the hits it had', async () => {
    let fail = false;
    mockBackend({
      search: () => {
        if (fail) throw appError('errors.cache.locked', 'in use', {}, true);
        return HITS;
      },
    });
    const search = new SearchState('customer', 100);
    search.type('华为');
    await pause();
    fail = true;
    search.type('华为云');
    await pause();
    expect(search.error?.code).toBe('errors.cache.locked');
    expect(search.hits).toHaveLength(3);
  });

  test('arrows move the selection within the list, and Enter opens the selected hit', async () => {
    mockBackend({ search: HITS });
    const search = new SearchState('customer', 100);
    search.type('华为');
    await pause();
    const opened: number[] = [];
    const open = (hit: Hit) => opened.push(hit.erp_id);
    expect(search.key('ArrowDown', open)).toBe(true);
    search.key('ArrowDown', open);
    search.key('ArrowDown', open);
    expect(search.selected).toBe(2);
    search.key('ArrowUp', open);
    expect(search.key('Enter', open)).toBe(true);
    expect(opened).toEqual([2]);
    expect(search.key('a', open)).toBe(false);
    search.select(0);
    search.key('ArrowUp', open);
    expect(search.selected).toBe(0);
  });

  test('Enter before the pause searches for what is typed, then opens its first hit', async () => {
    const calls = mockBackend({ search: HITS });
    const search = new SearchState('customer', 100);
    const opened: number[] = [];
    search.type('华为');
    search.key('Enter', (hit) => opened.push(hit.erp_id));
    await vi.advanceTimersByTimeAsync(1);
    expect(opened).toEqual([1]);
    await pause();
    expect(calls).toHaveLength(1); // The pending search was not sent again.
  });

  test('Enter with nothing found opens nothing', () => {
    const search = new SearchState('product', 100);
    const opened: Hit[] = [];
    expect(search.key('Enter', (hit) => opened.push(hit))).toBe(false);
    expect(opened).toEqual([]);
  });
});

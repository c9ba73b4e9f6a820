import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { locale, setLocale } from './i18n/index.svelte';
import { router } from './router.svelte';
import { SessionState, languageOf } from './session.svelte';
import { appError, clearMocks, commands, mockBackend } from './testing/backend';
import { session as sessionFixture } from './testing/fixtures';
import { toasts } from './toasts.svelte';

beforeEach(() => {
  setLocale('en');
  toasts.clear();
  router.reset();
});
afterEach(() => clearMocks());

describe('SessionState', () => {
  test('shows the connect page on first run, in the chosen language', async () => {
    mockBackend({ session: sessionFixture({ needs_setup: true, erp: null, settings: { language: 'zh-CN', sync_interval_seconds: 300 } }) });
    const session = new SessionState();
    expect(session.phase).toBe('loading');
    await session.start();
    expect(session.phase).toBe('setup');
    expect(locale()).toBe('zh-CN');
  });

  test('follows the system language until one is chosen', async () => {
    vi.spyOn(navigator, 'language', 'get').mockReturnValue('zh-Hans-CN');
    mockBackend({ session: sessionFixture({ settings: { language: null, sync_interval_seconds: 300 } }) });
    const session = new SessionState();
    await session.start();
    expect(session.phase).toBe('ready');
    expect(locale()).toBe('zh-CN');
  });

  test('says why when the session cannot be read', async () => {
    mockBackend({
      session: () => {
        throw appError('errors.cache.wrong_key', 'wrong key');
      },
    });
    const session = new SessionState();
    await session.start();
    expect(session.phase).toBe('broken');
    expect(session.error?.code).toBe('errors.cache.wrong_key');
  });

  test('after connecting, shows the first sync with no way back to the form', async () => {
    const calls = mockBackend({
      connect: sessionFixture(),
      connectivity: { online: null, syncing: false, last_attempt_at: null, last_error: null },
    });
    const session = new SessionState();
    const form = { url: 'http://erp:8000/', database: 'prod', login: 'alice', password: 'secret' };
    await session.connect(form);
    expect(calls[0]).toEqual({ command: 'connect', args: { form } });
    expect(session.phase).toBe('ready');
    expect(router.current).toEqual({ page: 'first-sync' });
    expect(router.canGoBack).toBe(false);
  });

  test('a refused connection leaves the connect page as it was', async () => {
    mockBackend({
      connect: () => {
        throw appError('errors.erp.unknown_database', 'no database', { database: 'prd' });
      },
    });
    const session = new SessionState();
    session.phase = 'setup';
    await expect(session.connect({ url: 'u', database: 'prd', login: 'l', password: 'p' })).rejects.toMatchObject({
      code: 'errors.erp.unknown_database',
      params: { database: 'prd' },
    });
    expect(session.phase).toBe('setup');
  });

  test('a chosen language shows at once and is kept with the other settings', async () => {
    const calls = mockBackend({ save_settings: ({ settings }) => settings });
    const session = new SessionState();
    session.settings = { language: null, sync_interval_seconds: 600 };
    const saving = session.chooseLanguage('zh-CN');
    expect(locale()).toBe('zh-CN'); // Before the backend answered.
    await saving;
    expect(calls[0]!.args).toEqual({ settings: { language: 'zh-CN', sync_interval_seconds: 600 } });
    expect(session.settings.language).toBe('zh-CN');
  });

  test('a language that cannot be kept still shows, and the toast says so', async () => {
    mockBackend({
      save_settings: () => {
        throw appError('errors.settings.unwritable', 'read-only', {});
      },
    });
    const session = new SessionState();
    await session.chooseLanguage('zh-CN');
    expect(locale()).toBe('zh-CN');
    expect(toasts.items.map((toast) => toast.tone)).toEqual(['alert']);
    expect(toasts.items[0]!.text).toMatch(/^无法保存设置/);
  });

  test('signing out with unsent entries is refused with their count', async () => {
    mockBackend({
      sign_out: () => {
        throw appError('errors.sign_out.unsent', '2 entries', { count: '2' });
      },
    });
    const session = new SessionState();
    session.phase = 'ready';
    await expect(session.signOut()).rejects.toMatchObject({ code: 'errors.sign_out.unsent', params: { count: '2' } });
    expect(session.phase).toBe('ready');
  });

  test('signing out shows the connect page again', async () => {
    const calls = mockBackend({ sign_out: null, session: sessionFixture({ needs_setup: true, erp: null }) });
    const session = new SessionState();
    session.phase = 'ready';
    router.navigate({ page: 'settings' });
    await session.signOut();
    expect(commands(calls)).toEqual(['sign_out', 'session']);
    expect(session.phase).toBe('setup');
    expect(router.current).toEqual({ page: 'home' });
  });
});

test('languageOf takes the setting, else the system’s', () => {
  vi.spyOn(navigator, 'language', 'get').mockReturnValue('en-GB');
  expect(languageOf({ language: 'zh-CN', sync_interval_seconds: 300 })).toBe('zh-CN');
  expect(languageOf({ language: null, sync_interval_seconds: 300 })).toBe('en');
  expect(languageOf({ language: 'fr', sync_interval_seconds: 300 })).toBe('en');
});

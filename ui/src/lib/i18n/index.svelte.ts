/**
 * Every word the window shows comes through here.
 *
 * Messages live in `en.json` and `zh-CN.json` (a test checks both have the
 * same keys). The current locale is a `$state`, and `t()` reads it, so any
 * component that calls `t()` in its markup shows the new language as soon
 * as {@link setLocale} changes it; i18next itself only looks messages up.
 *
 * Errors arrive as `{code, message, params}` (see `ipc.ts`): the code is
 * the message key. {@link errorText} shows our words for a code we know,
 * the engine's English message for one we do not, and the ERP's own words
 * when the ERP refused or warned.
 */
import i18next from 'i18next';
import type { AppError } from '../bindings/AppError';
import en from './en.json';
import zhCN from './zh-CN.json';
import { type Locale, LOCALES } from './locales';

export { type Locale, LOCALES, isLocale, systemLocale } from './locales';

/** The message files, by locale (the key check test reads them too). */
export const MESSAGES: Record<Locale, object> = { 'zh-CN': zhCN, en };

const translator = i18next.createInstance();
void translator.init({
  resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
  lng: 'en',
  fallbackLng: 'en',
  supportedLngs: [...LOCALES],
  // Messages are bundled, so there is nothing to wait for.
  initAsync: false,
  interpolation: {
    // Svelte escapes text when it renders it; escaping here too would show
    // "&amp;" for every "&" in a customer's name.
    escapeValue: false,
  },
});

const current = $state<{ locale: Locale }>({ locale: 'en' });

/** The locale the window shows (reactive: reading it in markup re-renders on change). */
export function locale(): Locale {
  return current.locale;
}

/** Switches every visible string at once. */
export function setLocale(next: Locale): void {
  current.locale = next;
  if (typeof document !== 'undefined') document.documentElement.lang = next;
}

export type Params = Record<string, string | number | null | undefined>;

/** The message `key` in the current locale, with `params` filled in. */
export function t(key: string, params?: Params): string {
  // `lng` per call, rather than i18next's global language, so that the
  // read of `current.locale` is what Svelte tracks.
  return translator.t(key, { ...params, lng: current.locale }) as string;
}

/**
 * Whether the current locale has a message for `key`, counting a message
 * that exists only in plural forms (`key_one`, `key_other`).
 */
export function hasMessage(key: string, lng: Locale = current.locale): boolean {
  return translator.exists(key, { lng }) || translator.exists(`${key}_other`, { lng });
}

/** The codes whose message is the ERP's own words (`params.erp_message`). */
const ERP_WORDS = new Set(['errors.erp.rejected', 'errors.erp.warning']);

/**
 * The codes that sometimes name the ERP state of a sale (`params.state`):
 * with it, their message is `<code>_state` (i18next's *context*), with the
 * state in words; without it, `<code>`.
 */
const ORDER_STATE_CODES = new Set(['errors.quote.not_a_quote']);

/** What to show for an error from the backend. */
export function errorText(error: Pick<AppError, 'code' | 'message' | 'params'>): string {
  const params = error.params ?? {};
  if (ERP_WORDS.has(error.code) && !params.erp_message) return error.message;
  if (!hasMessage(error.code)) return error.message;
  const filled: Params = { ...params, message: error.message };
  // A field's name is translated too ("fill in the 数据库").
  if (params.field && hasMessage(`fields.${params.field}`)) {
    filled.field = t(`fields.${params.field}`);
  }
  if (ORDER_STATE_CODES.has(error.code) && params.state) {
    filled.state = label('orderState', params.state);
    filled.context = 'state';
  }
  // i18next picks a plural form only for a numeric count; params are strings.
  if (params.count !== undefined && /^\d+$/.test(params.count)) {
    filled.count = Number(params.count);
  }
  return t(error.code, filled);
}

/**
 * A label from a family of keys (`orderState.confirmed`), or the raw value
 * when the backend sends one we have no word for yet: better an English
 * word from the ERP than nothing.
 */
export function label(family: string, value: string | null | undefined): string {
  if (value == null || value === '') return '';
  const key = `${family}.${value}`;
  return hasMessage(key) ? t(key) : value;
}

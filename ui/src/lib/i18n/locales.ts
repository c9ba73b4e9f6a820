/**
 * The languages the window speaks, and how it picks one before the
 * salesperson has chosen. Kept apart from the translations so that
 * `format.ts` can name a locale without loading any messages.
 */

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export function isLocale(value: unknown): value is Locale {
  return (LOCALES as readonly unknown[]).includes(value);
}

/**
 * The locale that follows the system: Chinese for any Chinese system
 * language (zh, zh-CN, zh-TW, zh-Hans-CN, ...), since Simplified Chinese is
 * the only Chinese we have; English otherwise.
 */
export function systemLocale(language: string = systemLanguage()): Locale {
  return language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

function systemLanguage(): string {
  return typeof navigator === 'undefined' ? '' : (navigator.language ?? '');
}

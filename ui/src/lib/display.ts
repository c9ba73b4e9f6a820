/**
 * `format.ts` for markup: the same functions with the current locale and
 * clock filled in. Both are `$state`, so a figure written with these
 * re-renders when the language changes or the clock ticks.
 */
import { clock } from './clock.svelte';
import { formatAge, formatCount, formatDate, formatMoney, formatQuantity, formatTime } from './format';
import { locale } from './i18n/index.svelte';

export const money = (amount: string | null | undefined, currency: string | null | undefined) =>
  formatMoney(amount, currency, locale());

export const quantity = (amount: string | null | undefined, unit?: string | null) =>
  formatQuantity(amount, locale(), unit);

export const count = (value: number | null | undefined) => formatCount(value, locale());

export const date = (value: string | null | undefined) => formatDate(value, locale());

export const time = (value: string | null | undefined) => formatTime(value, locale());

export const age = (value: string | null | undefined) => formatAge(value, clock.now, locale());

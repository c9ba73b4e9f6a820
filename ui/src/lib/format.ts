/**
 * How figures read in the window, in the salesperson's locale.
 *
 * The backend sends money and quantities as decimal strings ("4200.00",
 * "1.2345"), dates as `YYYY-MM-DD` and times as RFC 3339 UTC. Decimal
 * strings are never turned into floats here: a float cannot hold every
 * amount exactly (and arithmetic on money is the backend's job). The digits
 * are laid out as given, and `Intl.NumberFormat` only lends its locale's
 * symbols (currency sign, separators, where the minus goes).
 *
 * Every function is pure: the locale, and for ages the current time, are
 * arguments. A missing value (`null`) reads as {@link MISSING}; a value that
 * does not parse is shown as it came rather than hidden.
 */
import type { Locale } from './i18n/locales';

/** What a missing figure reads as. */
export const MISSING = '—';

/** Money with its currency: `formatMoney("1234.5", "CNY", "zh-CN")` is "¥1,234.50". */
export function formatMoney(
  amount: string | null | undefined,
  currency: string | null | undefined,
  locale: Locale,
): string {
  if (amount == null) return MISSING;
  const decimal = parseDecimal(amount);
  if (decimal === null) return amount;
  const known = currency ? currencyFormat(locale, currency) : null;
  if (known === null) {
    // No currency known (or one Intl does not know): the amount alone, with
    // cents, and the code after it if there is one.
    const digits = layOut(decimal, plainFormatter(locale), 2);
    return currency ? `${digits} ${currency}` : digits;
  }
  return layOut(decimal, known.template, known.digits);
}

/** A quantity, without trailing zeros ("2.000" is "2"), and its unit if given. */
export function formatQuantity(
  quantity: string | null | undefined,
  locale: Locale,
  unit?: string | null,
): string {
  if (quantity == null) return MISSING;
  const decimal = parseDecimal(quantity);
  const digits = decimal === null ? quantity : layOut(decimal, plainFormatter(locale), 0);
  return unit ? `${digits} ${unit}` : digits;
}

/** A count (of records, of entries) with the locale's grouping. */
export function formatCount(count: number | null | undefined, locale: Locale): string {
  if (count == null) return MISSING;
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(count);
}

/** A calendar date (`YYYY-MM-DD`): the same day whatever the time zone. */
export function formatDate(date: string | null | undefined, locale: Locale): string {
  if (date == null) return MISSING;
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return date;
  const utc = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(utc);
}

/**
 * A moment (RFC 3339) as a local date and time. `timeZone` is for tests;
 * the window uses the system's.
 */
export function formatTime(
  time: string | null | undefined,
  locale: Locale,
  timeZone?: string,
): string {
  if (time == null) return MISSING;
  const millis = Date.parse(time);
  if (Number.isNaN(millis)) return time;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
    millis,
  );
}

/**
 * How long ago (or how soon) a moment is from `now` (milliseconds since the
 * epoch): "2h ago", "2小时前", "in 5m". Whole units, rounded down, so a
 * figure 2 h 50 min old is "2h ago"; under a minute is "this minute".
 */
export function formatAge(time: string | null | undefined, now: number, locale: Locale): string {
  if (time == null) return MISSING;
  const millis = Date.parse(time);
  if (Number.isNaN(millis)) return time;
  const seconds = (millis - now) / 1000;
  const sign = seconds < 0 ? -1 : 1;
  const [value, unit] = largestUnit(Math.abs(seconds));
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'narrow' });
  // `0 * -1` is -0, which Intl reads as "ago"; a plain 0 reads as "this minute".
  return relative.format(value === 0 ? 0 : sign * value, unit);
}

/** A decimal string, split into what the layout needs. */
export interface Decimal {
  negative: boolean;
  /** Digits before the point, without leading zeros ("0" for none). */
  integer: string;
  /** Digits after the point, as given (trailing zeros kept). */
  fraction: string;
}

/** Parses `-12.50`, `+3`, `007.1`; anything else (floats' `1e5`, `1,000`) is null. */
export function parseDecimal(text: string): Decimal | null {
  const match = /^\s*([+-])?(\d+)(?:\.(\d+))?\s*$/.exec(text);
  if (!match) return null;
  const integer = match[2]!.replace(/^0+(?=\d)/, '');
  const fraction = match[3] ?? '';
  const zero = /^0*$/.test(integer) && /^0*$/.test(fraction);
  // "-0.00" is zero, and zero has no sign.
  return { negative: match[1] === '-' && !zero, integer, fraction };
}

const SECONDS_IN: ReadonlyArray<[number, Intl.RelativeTimeFormatUnit]> = [
  [365 * 86_400, 'year'],
  [30 * 86_400, 'month'],
  [86_400, 'day'],
  [3_600, 'hour'],
  [60, 'minute'],
];

function largestUnit(seconds: number): [number, Intl.RelativeTimeFormatUnit] {
  for (const [length, unit] of SECONDS_IN) {
    if (seconds >= length) return [Math.floor(seconds / length), unit];
  }
  return [0, 'minute'];
}

/**
 * Lays the decimal's own digits out the way `formatter` would lay out a
 * number: the formatter formats a template (1111.1, or -1111.1) and every
 * part of it but the digits is kept. At least `minimumFraction` decimals
 * show; more show only when the value has them (a unit price of 1.2345
 * keeps its four), so nothing is ever rounded away.
 */
function layOut(decimal: Decimal, formatter: Intl.NumberFormat, minimumFraction: number): string {
  const significant = decimal.fraction.replace(/0+$/, '');
  const fraction = significant.padEnd(minimumFraction, '0');
  const template = formatter.formatToParts(decimal.negative ? -1111.1 : 1111.1);
  const group = template.find((part) => part.type === 'group')?.value ?? ',';
  let text = '';
  let integerDone = false;
  for (const part of template) {
    switch (part.type) {
      case 'integer':
        if (!integerDone) text += groupDigits(decimal.integer, group);
        integerDone = true;
        break;
      case 'group':
        break;
      case 'decimal':
        if (fraction) text += part.value;
        break;
      case 'fraction':
        text += fraction;
        break;
      default:
        text += part.value;
    }
  }
  return text;
}

/** Thousands grouping, as both our locales group (1,234,567). */
function groupDigits(digits: string, separator: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, separator);
}

interface CurrencyFormat {
  /** Formats the template, with one decimal so every part shows. */
  template: Intl.NumberFormat;
  /** The decimals the currency has (2 for CNY, 0 for JPY). */
  digits: number;
}

const currencyFormats = new Map<string, CurrencyFormat | null>();
const plainFormatters = new Map<Locale, Intl.NumberFormat>();

function currencyFormat(locale: Locale, currency: string): CurrencyFormat | null {
  const key = `${locale}/${currency}`;
  if (!currencyFormats.has(key)) {
    let format: CurrencyFormat | null;
    try {
      const style = { style: 'currency', currency } as const;
      format = {
        template: new Intl.NumberFormat(locale, {
          ...style,
          minimumFractionDigits: 1,
          maximumFractionDigits: 1,
        }),
        digits: new Intl.NumberFormat(locale, style).resolvedOptions().maximumFractionDigits ?? 2,
      };
    } catch {
      format = null; // Not an ISO 4217 code.
    }
    currencyFormats.set(key, format);
  }
  return currencyFormats.get(key) ?? null;
}

function plainFormatter(locale: Locale): Intl.NumberFormat {
  let formatter = plainFormatters.get(locale);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    plainFormatters.set(locale, formatter);
  }
  return formatter;
}

/** Whether a decimal string is below zero (an over-drawn credit, a stock shortfall). */
export function isNegative(text: string | null | undefined): boolean {
  return text != null && parseDecimal(text)?.negative === true;
}

/**
 * The oldest of some sync times: a table's rows may come from different
 * syncs, and the table is as fresh as its stalest row.
 */
export function oldestTime(times: ReadonlyArray<string | null | undefined>): string | null {
  let oldest: string | null = null;
  for (const time of times) {
    if (time == null || Number.isNaN(Date.parse(time))) continue;
    if (oldest === null || Date.parse(time) < Date.parse(oldest)) oldest = time;
  }
  return oldest;
}

import { describe, expect, test } from 'vitest';
import {
  MISSING,
  formatAge,
  formatCount,
  formatDate,
  formatMoney,
  formatQuantity,
  formatTime,
  isNegative,
  oldestTime,
  parseDecimal,
} from './format';
import type { Locale } from './i18n/locales';

/** ICU puts a narrow no-break space before "AM"; tests compare plain spaces. */
const plain = (text: string) => text.replace(/[\u202f\u00a0]/g, ' ');

describe('formatMoney', () => {
  const check = (amount: string | null, currency: string | null, locale: Locale, expected: string) =>
    expect(formatMoney(amount, currency, locale), `${amount} ${currency} ${locale}`).toBe(expected);

  test('shows the currency and its cents in each locale', () => {
    check('1234.5', 'CNY', 'zh-CN', '¥1,234.50');
    check('1234.5', 'CNY', 'en', 'CN¥1,234.50');
    check('0.1', 'USD', 'en', '$0.10');
    check('4200', 'EUR', 'en', '€4,200.00');
  });

  test('keeps every digit of an amount with many decimals: nothing goes through a float', () => {
    // 2^53 is 9007199254740992: a float would change these digits.
    check('12345678901234567890.123456789', 'CNY', 'zh-CN', '¥12,345,678,901,234,567,890.123456789');
    check('9007199254740993.01', 'CNY', 'en', 'CN¥9,007,199,254,740,993.01');
    // A unit price with four decimals keeps them; trailing zeros past the cents go.
    check('1.2345', 'CNY', 'zh-CN', '¥1.2345');
    check('1.2000', 'CNY', 'zh-CN', '¥1.20');
  });

  test('puts the minus where the locale puts it, and zero has no sign', () => {
    check('-1234567.5', 'CNY', 'zh-CN', '-¥1,234,567.50');
    check('-0.00', 'CNY', 'zh-CN', '¥0.00');
    check('+3', 'CNY', 'zh-CN', '¥3.00');
  });

  test('follows the currency’s own decimals', () => {
    check('1500', 'JPY', 'en', '¥1,500');
    check('1500.5', 'JPY', 'en', '¥1,500.5');
  });

  test('shows an amount without a known currency with cents, and the code after it', () => {
    check('1234.5', null, 'zh-CN', '1,234.50');
    check('1234.5', 'NOT-A-CODE', 'en', '1,234.50 NOT-A-CODE');
  });

  test('shows a missing amount as a dash and an unreadable one as it came', () => {
    check(null, 'CNY', 'en', MISSING);
    expect(formatMoney(undefined, 'CNY', 'en')).toBe(MISSING);
    check('1e5', 'CNY', 'en', '1e5');
    check('12,50', 'CNY', 'en', '12,50');
  });
});

describe('formatQuantity', () => {
  test('drops trailing zeros, groups thousands, and adds the unit', () => {
    expect(formatQuantity('2.000', 'en')).toBe('2');
    expect(formatQuantity('1234.50', 'zh-CN')).toBe('1,234.5');
    expect(formatQuantity('2', 'zh-CN', '千克')).toBe('2 千克');
    expect(formatQuantity('-3.5', 'en', 'kg')).toBe('-3.5 kg');
    expect(formatQuantity('0.000000000000000001', 'en')).toBe('0.000000000000000001');
  });

  test('shows a missing quantity as a dash', () => {
    expect(formatQuantity(null, 'en', 'kg')).toBe(MISSING);
  });
});

describe('formatCount', () => {
  test('groups thousands', () => {
    expect(formatCount(1234567, 'zh-CN')).toBe('1,234,567');
    expect(formatCount(null, 'en')).toBe(MISSING);
  });
});

describe('formatDate', () => {
  test('shows a calendar date in the locale’s words, the same day in every time zone', () => {
    expect(formatDate('2026-11-25', 'zh-CN')).toBe('2026年11月25日');
    expect(formatDate('2026-11-25', 'en')).toBe('Nov 25, 2026');
    expect(formatDate('2027-01-01', 'en')).toBe('Jan 1, 2027');
  });

  test('shows a missing date as a dash and an unreadable one as it came', () => {
    expect(formatDate(null, 'en')).toBe(MISSING);
    expect(formatDate('25/11/2026', 'en')).toBe('25/11/2026');
  });
});

describe('formatTime', () => {
  test('shows a UTC moment in local time', () => {
    expect(formatTime('2026-11-25T01:14:00Z', 'zh-CN', 'Asia/Shanghai')).toBe('2026年11月25日 09:14');
    expect(plain(formatTime('2026-11-25T01:14:00Z', 'en', 'Asia/Shanghai'))).toBe('Nov 25, 2026, 9:14 AM');
    // Late in the UTC day is the next day in China.
    expect(formatTime('2026-11-25T17:30:00Z', 'zh-CN', 'Asia/Shanghai')).toBe('2026年11月26日 01:30');
  });

  test('shows a missing time as a dash and an unreadable one as it came', () => {
    expect(formatTime(null, 'en')).toBe(MISSING);
    expect(formatTime('yesterday', 'en')).toBe('yesterday');
  });
});

describe('formatAge', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');
  const check = (time: string, locale: Locale, expected: string) =>
    expect(formatAge(time, now, locale), `${time} ${locale}`).toBe(expected);

  test('says how long ago in whole units, rounded down', () => {
    check('2026-11-25T10:00:00Z', 'en', '2h ago');
    check('2026-11-25T10:00:00Z', 'zh-CN', '2小时前');
    check('2026-11-25T09:10:00Z', 'en', '2h ago'); // 2 h 50 min
    check('2026-11-25T11:55:00Z', 'zh-CN', '5分钟前');
    check('2026-11-22T12:00:00Z', 'zh-CN', '3天前');
    check('2026-11-24T12:00:00Z', 'en', 'yesterday');
    check('2025-10-01T12:00:00Z', 'zh-CN', '去年');
  });

  test('calls anything under a minute this minute, either way', () => {
    check('2026-11-25T11:59:30Z', 'en', 'this minute');
    check('2026-11-25T12:00:20Z', 'zh-CN', '此刻');
  });

  test('says how soon for a moment to come (the next attempt)', () => {
    check('2026-11-25T12:05:00Z', 'en', 'in 5m');
    check('2026-11-25T14:00:00Z', 'zh-CN', '2小时后');
  });

  test('shows a missing time as a dash and an unreadable one as it came', () => {
    expect(formatAge(null, now, 'en')).toBe(MISSING);
    expect(formatAge('soon', now, 'en')).toBe('soon');
  });
});

describe('decimals', () => {
  test('parse into sign, integer and fraction digits', () => {
    expect(parseDecimal('-012.50')).toEqual({ negative: true, integer: '12', fraction: '50' });
    expect(parseDecimal('0')).toEqual({ negative: false, integer: '0', fraction: '' });
    expect(parseDecimal('-0.0')).toEqual({ negative: false, integer: '0', fraction: '0' });
    expect(parseDecimal('1.')).toBeNull();
    expect(parseDecimal('NaN')).toBeNull();
  });

  test('know whether they are below zero', () => {
    expect(isNegative('-0.01')).toBe(true);
    expect(isNegative('-0.00')).toBe(false);
    expect(isNegative('5')).toBe(false);
    expect(isNegative(null)).toBe(false);
  });
});

describe('oldestTime', () => {
  test('picks the earliest moment, skipping missing ones', () => {
    expect(oldestTime(['2026-11-25T10:00:00Z', null, '2026-11-24T23:00:00+08:00', '2026-11-25T09:00:00Z'])).toBe(
      '2026-11-24T23:00:00+08:00',
    );
    expect(oldestTime([null, undefined])).toBeNull();
  });
});

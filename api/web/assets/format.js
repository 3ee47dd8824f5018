// Money as the API has it: integer minor units and a currency. Shown and read
// as decimal text, never through floating point.
import { lang } from './i18n.js';

const DIGITS = 2; // EUR, the platform's currency; the API names it with every amount

export function money(minor, currency = 'EUR') {
  const n = BigInt(minor);
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  const unit = 10n ** BigInt(DIGITS);
  const text = `${sign}${abs / unit}.${String(abs % unit).padStart(DIGITS, '0')}`;
  // A string is formatted exactly (Intl.NumberFormat v3).
  return new Intl.NumberFormat(lang(), { style: 'currency', currency }).format(text);
}

// "25", "25,5", "25.50", "1.000,00" (de) or "1,000.00" (en) → minor units; null if not an amount.
export function parseMoney(text) {
  let s = String(text).trim().replace(/\s/g, '');
  if (lang() === 'de') s = s.replace(/\./g, '').replace(',', '.');
  else s = s.replace(/,/g, '');
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  const minor = BigInt(m[1]) * 100n + BigInt((m[2] || '').padEnd(DIGITS, '0') || '0');
  return Number(minor) > 0 ? Number(minor) : null;
}

export function dateTime(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(lang(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

// Basis points as a percentage: 525 → "5,25 %" (de).
export function percent(bp) {
  const text = `${Math.trunc(bp / 100)}.${String(Math.abs(bp % 100)).padStart(2, '0')}`;
  return new Intl.NumberFormat(lang(), { style: 'percent', minimumFractionDigits: 2 }).format(`${text}e-2`);
}

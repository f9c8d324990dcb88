/**
 * Numbers for people: en-US digit grouping ("1,234,567") and counted nouns
 * ("1 packet", "2 packets"), shared by every report (mark, audit, gen, bench).
 *
 * Why not `toLocaleString('en-US')`: its first call loads ICU's locale data,
 * which cost 35 ms of a 240 ms `qosmark mark` run on a small file (measured
 * with --cpu-prof on a 2-vCPU VM) — start-up that tcprewrite does not pay.
 * For whole numbers these give toLocaleString's text exactly
 * (test/format/numbers.test.ts checks them against it). Fractions round as
 * toFixed does, on the exact binary value, so at a decimal tie such as 1.005
 * the last digit can differ from toLocaleString's.
 */

/** At most this many fraction digits, as toLocaleString's default. */
const DEFAULT_FRACTION_DIGITS = 3;

/** "1234567" → "1,234,567" (digits only, no sign). */
function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+$)/g, ',');
}

/** Groups the integer part of a decimal string from toFixed ("-1234.50" → "-1,234.50"). */
function groupFixed(text: string): string {
  const sign = text.startsWith('-') ? '-' : '';
  const unsigned = sign === '' ? text : text.slice(1);
  const dot = unsigned.indexOf('.');
  const whole = dot < 0 ? unsigned : unsigned.slice(0, dot);
  const fraction = dot < 0 ? '' : unsigned.slice(dot);
  return `${sign}${groupDigits(whole)}${fraction}`;
}

/** A number with thousands separators and up to 3 fraction digits, trailing zeros dropped: 1234.5 → "1,234.5". */
export function grouped(v: number): string {
  if (!Number.isFinite(v) || Math.abs(v) >= 1e21) return v.toLocaleString('en-US');
  return groupFixed(v.toFixed(DEFAULT_FRACTION_DIGITS).replace(/\.?0+$/, ''));
}

/** A number with thousands separators and exactly `fractionDigits` fraction digits: (1234.5, 2) → "1,234.50". */
export function groupedFixed(v: number, fractionDigits: number): string {
  if (!Number.isFinite(v) || Math.abs(v) >= 1e21) return v.toLocaleString('en-US', { minimumFractionDigits: fractionDigits, maximumFractionDigits: fractionDigits });
  return groupFixed(v.toFixed(fractionDigits));
}

/** "1 file", "2 files", "1,000 files". */
export function countOf(n: number, noun: string): string {
  return `${grouped(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** The verb after countOf(): "1 packet carries", "2 packets carry". */
export function verbFor(n: number, plural: string, singular: string): string {
  return n === 1 ? singular : plural;
}

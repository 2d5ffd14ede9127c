// INSZ / NISS / SSIN (national register number) and BIS numbers.
// Layout `YYMMDD SSS CC`: birth date, sequence (odd = male, even = female), check digits.
// CC = 97 − (first nine digits mod 97); for people born in 2000 or later the nine digits are
// prefixed with a 2 (2000000000 + n). BIS numbers add 40 to the month when the sex is known and
// 20 when it is not. Month or day 00 means unknown.
//
// Note on ambiguity: because the 2000+ rule shifts the checksum by 2000000000 mod 97 = 68, lowering
// the second year digit by 6 (e.g. 1926 → "20") turns a valid 19xx number into a valid 20xx number.
// The rule cannot tell those apart; we report the century the check digits select.

import { Problem, type ProblemCode } from './problems.ts';

export type PersonNumberKind = 'nrn' | 'bis';
export type Sex = 'M' | 'F';

export interface Insz {
  readonly value: string; // 11 digits
  readonly kind: PersonNumberKind;
  readonly birthYear: number;
  readonly birthMonth?: number; // absent when unknown (00)
  readonly birthDay?: number;
  /** ISO date, only when year, month and day are all known. */
  readonly birthDate?: string;
  readonly sex?: Sex;
}

export type InszResult =
  | { readonly ok: true; readonly insz: Insz }
  | { readonly ok: false; readonly code: InszProblem; readonly reason: string };

export type InszProblem = Extract<
  ProblemCode,
  'INSZ_FORMAT' | 'INSZ_CHECKSUM' | 'INSZ_MONTH' | 'INSZ_DAY' | 'INSZ_SEQUENCE'
>;

const SEPARATORS = /[\s.-]/g;
const ELEVEN_DIGITS = /^\d{11}$/;
const CENTURY_2000 = 2_000_000_000;

/** Strips the usual separators (`85.07.30-033.28`), nothing else. */
export function normaliseInsz(input: string): string {
  return input.replace(SEPARATORS, '');
}

export function checkDigitsFor(firstNine: number, bornFrom2000: boolean): number {
  return 97 - ((bornFrom2000 ? CENTURY_2000 + firstNine : firstNine) % 97);
}

export function parseInsz(input: string): InszResult {
  const value = normaliseInsz(input);
  if (!ELEVEN_DIGITS.test(value)) {
    return fail('INSZ_FORMAT', 'an INSZ has exactly 11 digits (separators . - and spaces allowed)');
  }
  const firstNine = Number(value.slice(0, 9));
  const check = Number(value.slice(9));
  const century =
    check === checkDigitsFor(firstNine, false) ? 1900 : check === checkDigitsFor(firstNine, true) ? 2000 : 0;
  if (century === 0) return fail('INSZ_CHECKSUM', 'the check digits do not match the first nine digits');

  const rawMonth = Number(value.slice(2, 4));
  const day = Number(value.slice(4, 6));
  const sequence = Number(value.slice(6, 9));
  const kind: PersonNumberKind = rawMonth >= 20 ? 'bis' : 'nrn';
  const monthOffset = rawMonth >= 40 ? 40 : rawMonth >= 20 ? 20 : 0;
  const month = rawMonth - monthOffset;
  if (month > 12)
    return fail('INSZ_MONTH', `month ${value.slice(2, 4)} is not 00–12 (or +20/+40 for a BIS number)`);
  const year = century + Number(value.slice(0, 2));
  if (day > (month === 0 ? 31 : daysInMonth(year, month))) {
    return fail('INSZ_DAY', `day ${value.slice(4, 6)} does not exist in that month`);
  }
  if (sequence === 0 || sequence === 999) return fail('INSZ_SEQUENCE', 'the sequence number must be 001–998');

  // The sex is unknown only for BIS numbers issued with month + 20.
  const sexKnown = monthOffset !== 20;
  const insz: Insz = {
    value,
    kind,
    birthYear: year,
    ...(month > 0 ? { birthMonth: month } : {}),
    ...(day > 0 ? { birthDay: day } : {}),
    ...(month > 0 && day > 0 ? { birthDate: `${year}-${pad2(month)}-${pad2(day)}` } : {}),
    ...(sexKnown ? { sex: sequence % 2 === 1 ? 'M' : 'F' } : {}),
  };
  return { ok: true, insz };
}

/** The normalised number, or a Problem naming exactly why it is not one. */
export function requireInsz(input: string): string {
  const parsed = parseInsz(input);
  if (!parsed.ok) throw new Problem(parsed.code, parsed.reason);
  return parsed.insz.value;
}

/** `85073003328` → `85.07.30-033.28`. Expects a validated value. */
export function formatInsz(value: string): string {
  return `${value.slice(0, 2)}.${value.slice(2, 4)}.${value.slice(4, 6)}-${value.slice(6, 9)}.${value.slice(9)}`;
}

export interface InszParts {
  readonly year: number; // 1900–2099
  readonly month: number; // 0 = unknown
  readonly day: number; // 0 = unknown
  readonly sequence: number; // 1–998
  readonly bis?: 'sex-known' | 'sex-unknown';
}

/** Builds a valid number from its parts (used by the demo generator and the property tests). */
export function makeInsz(parts: InszParts): string {
  const offset = parts.bis === 'sex-known' ? 40 : parts.bis === 'sex-unknown' ? 20 : 0;
  const firstNine =
    pad2(parts.year % 100) +
    pad2(parts.month + offset) +
    pad2(parts.day) +
    String(parts.sequence).padStart(3, '0');
  return firstNine + pad2(checkDigitsFor(Number(firstNine), parts.year >= 2000));
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function fail(code: InszProblem, reason: string): InszResult {
  return { ok: false, code, reason };
}

// KBO / BCE enterprise numbers: 10 digits starting with 0 or 1, shown `0403.019.261`.
// Check: 97 − (first eight digits mod 97) equals the last two digits.

import type { ProblemCode } from './problems.ts';

export type KboProblem = Extract<ProblemCode, 'KBO_FORMAT' | 'KBO_PREFIX' | 'KBO_CHECKSUM'>;
export type KboResult =
  | { readonly ok: true; readonly kbo: string }
  | { readonly ok: false; readonly code: KboProblem; readonly reason: string };

const SEPARATORS = /[\s.]/g;

export function parseKbo(input: string): KboResult {
  const value = input.replace(SEPARATORS, '');
  if (!/^\d{10}$/.test(value)) {
    return { ok: false, code: 'KBO_FORMAT', reason: 'an enterprise number has exactly 10 digits' };
  }
  if (value[0] !== '0' && value[0] !== '1') {
    return { ok: false, code: 'KBO_PREFIX', reason: 'an enterprise number starts with 0 or 1' };
  }
  if (kboCheckDigits(Number(value.slice(0, 8))) !== Number(value.slice(8))) {
    return {
      ok: false,
      code: 'KBO_CHECKSUM',
      reason: 'the check digits do not match the first eight digits',
    };
  }
  return { ok: true, kbo: value };
}

export function kboCheckDigits(firstEight: number): number {
  return 97 - (firstEight % 97);
}

/** Builds a valid enterprise number from its first eight digits. */
export function makeKbo(firstEight: number): string {
  return String(firstEight).padStart(8, '0') + String(kboCheckDigits(firstEight)).padStart(2, '0');
}

/** `0403019261` → `0403.019.261`. */
export function formatKbo(value: string): string {
  return `${value.slice(0, 4)}.${value.slice(4, 7)}.${value.slice(7)}`;
}

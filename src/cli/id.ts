// `crossroads id <number>`: { valid, kind, birthDate?, sex?, code? } on one line; exit 0 when valid.
import { normaliseInsz, parseInsz, parseKbo } from '../kernel/index.ts';

export interface IdVerdict {
  readonly valid: boolean;
  readonly kind: 'nrn' | 'bis' | 'kbo';
  readonly birthDate?: string;
  readonly sex?: 'M' | 'F';
  readonly code?: string;
}

/** Ten digits are an enterprise number; anything else is read as a person number. */
export function identify(input: string): IdVerdict {
  const digits = normaliseInsz(input);
  if (/^\d{10}$/.test(digits)) {
    const kbo = parseKbo(digits);
    return kbo.ok ? { valid: true, kind: 'kbo' } : { valid: false, kind: 'kbo', code: kbo.code };
  }
  const parsed = parseInsz(input);
  if (!parsed.ok) {
    const month = Number(digits.slice(2, 4));
    return { valid: false, kind: /^\d{11}$/.test(digits) && month >= 20 ? 'bis' : 'nrn', code: parsed.code };
  }
  const { kind, birthDate, sex } = parsed.insz;
  return { valid: true, kind, ...(birthDate ? { birthDate } : {}), ...(sex ? { sex } : {}) };
}

export function runIdCommand(args: readonly string[]): number {
  if (args.length !== 1) {
    console.error('usage: crossroads id <number>');
    return 2;
  }
  const verdict = identify(args[0]!);
  console.log(JSON.stringify(verdict));
  return verdict.valid ? 0 : 1;
}

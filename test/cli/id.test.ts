// `crossroads id <number>`: a few runs of the real command (as the README shows it), then the
// identify() function behind it for the other cases, without spawning a process each.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite, test } from 'node:test';
import { promisify } from 'node:util';
import { identify } from '../../src/cli/id.ts';
import type { IdVerdict } from '../../src/cli/id.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

/** Runs `npx crossroads id <number>`; returns the exit code and the parsed JSON line. */
async function crossroadsId(number: string): Promise<{ exit: number; verdict: unknown }> {
  try {
    const { stdout } = await run('npx', ['crossroads', 'id', number], { cwd: ROOT });
    return { exit: 0, verdict: JSON.parse(stdout) };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    if (typeof failed.code !== 'number' || failed.stdout === undefined) throw error;
    return { exit: failed.code, verdict: JSON.parse(failed.stdout) };
  }
}

// Four spawns (~0.5 s each), run concurrently.
const RUNS: { input: string; exit: number; want: IdVerdict }[] = [
  { input: '85073003328', exit: 0, want: { valid: true, kind: 'nrn', birthDate: '1985-07-30', sex: 'M' } },
  { input: '98472899765', exit: 0, want: { valid: true, kind: 'bis', birthDate: '1998-07-28', sex: 'M' } },
  { input: '0403.019.261', exit: 0, want: { valid: true, kind: 'kbo' } },
  // An invalid number's kind is a guess from its month digits: 34 ≥ 20 reads as a BIS number.
  { input: '12345678901', exit: 1, want: { valid: false, kind: 'bis', code: 'INSZ_CHECKSUM' } },
];

suite('npx crossroads id', { concurrency: true }, () => {
  for (const { input, exit, want } of RUNS) {
    test(`${input} → exit ${exit}, ${JSON.stringify(want)}`, async () => {
      assert.deepEqual(await crossroadsId(input), { exit, verdict: want });
    });
  }
});

const CASES: { input: string; want: IdVerdict }[] = [
  { input: '85.07.30-033.28', want: { valid: true, kind: 'nrn', birthDate: '1985-07-30', sex: 'M' } },
  { input: '17073003384', want: { valid: true, kind: 'nrn', birthDate: '2017-07-30', sex: 'M' } },
  { input: '01490700185', want: { valid: true, kind: 'bis', birthDate: '2001-09-07', sex: 'M' } },
  { input: '60000000294', want: { valid: true, kind: 'nrn', sex: 'F' } }, // 1960, date unknown
  { input: '75231400748', want: { valid: true, kind: 'bis', birthDate: '1975-03-14' } }, // BIS +20: sex unknown
  { input: '0428759497', want: { valid: true, kind: 'kbo' } },
  { input: '0123456789', want: { valid: false, kind: 'kbo', code: 'KBO_CHECKSUM' } },
  { input: '2403019261', want: { valid: false, kind: 'kbo', code: 'KBO_PREFIX' } },
  { input: '85133000105', want: { valid: false, kind: 'nrn', code: 'INSZ_MONTH' } },
  { input: '98472899766', want: { valid: false, kind: 'bis', code: 'INSZ_CHECKSUM' } },
  { input: '8507300332A', want: { valid: false, kind: 'nrn', code: 'INSZ_FORMAT' } },
  { input: '123', want: { valid: false, kind: 'nrn', code: 'INSZ_FORMAT' } },
  { input: '', want: { valid: false, kind: 'nrn', code: 'INSZ_FORMAT' } },
];

for (const { input, want } of CASES) {
  test(`identify(${JSON.stringify(input)}) → ${JSON.stringify(want)}`, () => {
    assert.deepEqual(identify(input), want);
  });
}

// `crossroads demo change <insz> [--death]`: the demo National Register publishes a change about a
// person through the hub's API (POST /v1/changes), as a real authentic source would, and says
// where the recipients will see it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { readConfig } from '../config.ts';
import type { DemoFile } from '../demo/index.ts';
import { generatePeople, movedAddress } from '../demo/index.ts';
import { dateInBelgium, normaliseInsz, parseInsz } from '../kernel/index.ts';

export async function runDemoCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'change') {
    console.error('usage: crossroads demo change <insz> [--death]');
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: [...rest],
    allowPositionals: true,
    options: { death: { type: 'boolean', default: false } },
  });
  const insz = normaliseInsz(positionals[0] ?? '');
  const parsed = parseInsz(insz);
  if (!parsed.ok) {
    console.error(`${parsed.code}: ${parsed.reason}`);
    return 1;
  }
  const config = readConfig(process.env);
  const path = join(config.dataDir, 'demo.json');
  let demo: DemoFile;
  try {
    demo = JSON.parse(readFileSync(path, 'utf8')) as DemoFile;
  } catch {
    console.error(`no demo network found (${path}): start one with npm start`);
    return 1;
  }
  const nr = demo.institutions.find((i) => i.key === 'nr')!;
  const person = generatePeople(config.demoPeople).find((p) => p.insz === insz);
  const day = dateInBelgium(new Date());
  const n = Date.now();
  const body = {
    service: 'nr.identity',
    insz,
    effectiveDate: day,
    kind: 'updated',
    data: values.death ? { deathDate: day } : { address: movedAddress(person?.region ?? 'gent', n) },
    sourceReference: `demo-cli-${n}`,
  };
  const response = await request(`${demo.hub}/v1/changes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${nr.credential}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.body.json()) as Record<string, unknown>;
  if (response.statusCode !== 202) {
    console.error(`${response.statusCode} ${String(answer.code)}: ${String(answer.detail ?? answer.title)}`);
    return 1;
  }
  console.log(
    [
      `The National Register published ${values.death ? 'a death' : 'a move'} for ${insz}: change ${String(answer.changeId)}, ` +
        `${String(answer.recipients)} recipient(s).`,
      `  Pushed to OCMW Gent's webhook:  curl -s ${demo.changes.webhook}`,
      `  ${demo.changes.feed.title}:`,
      `  ${demo.changes.feed.curl}`,
      `  The person sees who received it: ${demo.hub}/me`,
    ].join('\n'),
  );
  return 0;
}

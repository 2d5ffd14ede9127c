import { Session } from 'node:inspector/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { readConfig } from '../src/config.ts';
import { createHub } from '../src/hub.ts';
import { startDemo, generatePeople } from '../src/demo/index.ts';
import { dateInBelgium } from '../src/kernel/index.ts';
const dir = mkdtempSync(join(tmpdir(), 'prof-'));
const hub = await createHub(
  readConfig({
    CROSSROADS_DATA_DIR: dir,
    CROSSROADS_LOG_LEVEL: 'silent',
    CROSSROADS_RATE_LIMIT_PER_MINUTE: '100000000',
  }),
);
const url = await hub.app.listen({ port: 0, host: '127.0.0.1' });
const demo = await startDemo(hub, { hubUrl: url, portBase: 0, dataDir: dir, people: 1000 });
const p = generatePeople(1000).find((x) => x.leefloon && x.region === 'gent')!;
const body = JSON.stringify({
  service: 'nr.identity',
  insz: p.insz,
  purpose: 'social-investigation',
  date: dateInBelgium(new Date()),
});
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
await new Promise((resolve) =>
  execFile(
    'npx',
    [
      'autocannon',
      '-c',
      '64',
      '-d',
      '6',
      '-m',
      'POST',
      '-H',
      `authorization=Bearer ${demo.credential('ocmwGent')}`,
      '-H',
      'content-type=application/json',
      '-b',
      body,
      `${url}/v1/exchanges`,
    ],
    (e, out, err) => {
      console.log(out, err);
      resolve(null);
    },
  ),
);
const { profile } = await session.post('Profiler.stop');
writeFileSync('/tmp/prof2/hub.cpuprofile', JSON.stringify(profile));
await demo.close();
await hub.close();
process.exit(0);

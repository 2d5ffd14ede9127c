// `crossroads start [--demo]`: runs the hub until SIGINT/SIGTERM, then shuts down gracefully.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../config.ts';
import { type Demo, startDemo } from '../demo/index.ts';
import { type Hub, createHub } from '../hub.ts';

export async function runStartCommand(options: { demo: boolean }): Promise<number> {
  const config = readConfig(process.env, { demo: options.demo });
  const hub = await createHub(config);
  let demo: Demo | undefined;
  try {
    if (!options.demo) await ensureOperatorCredential(hub);
    const address = await hub.app.listen({ host: config.host, port: config.port });
    const url = address.replace('[::1]', 'localhost');
    if (options.demo) {
      demo = await startDemo(hub, {
        hubUrl: url,
        portBase: config.demoPortBase,
        dataDir: config.dataDir,
        host: config.host,
        people: config.demoPeople,
      });
      printDemo(demo, join(config.dataDir, 'demo.json'));
    } else {
      console.log(`Crossroads hub listening on ${url} (database ${hub.store.location})`);
    }
  } catch (error) {
    await demo?.close();
    await hub.close();
    throw error;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  console.log('shutting down: finishing exchanges in flight');
  await hub.close();
  await demo?.close();
  return 0;
}

/** Without an operator credential nobody could administer the hub: create one, once. */
async function ensureOperatorCredential(hub: Hub): Promise<void> {
  const { operatorToken, dataDir } = hub.config;
  if (operatorToken) {
    await hub.registry.adoptOperatorToken(operatorToken);
    return;
  }
  if (await hub.registry.hasOperatorCredential()) return;
  const { token } = await hub.registry.issueCredential(null, 'first operator', {
    kind: 'operator',
    credentialId: 'bootstrap',
  });
  const path = join(dataDir, 'operator-token');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  console.log(`First start: the operator credential is in ${path} (readable only by you).`);
}

function printDemo(demo: Demo, path: string): void {
  const { file } = demo;
  const lines = [
    '',
    `Crossroads demo hub: ${file.hub}`,
    `  API documentation   ${file.hub}/docs`,
    `  Authorisations      ${file.hub}/public/authorisations`,
    `  Who used my data    ${file.hub}/me (demo login: pick any demo person)`,
    `  ${demo.people.length} synthetic people, ${file.institutions.length} institutions; credentials and examples in ${path}`,
    '',
    'Demo credentials:',
    ...file.institutions.map((i) => `  ${i.kbo}  ${i.name.padEnd(40)} ${i.credential}`),
    `  operator                                                 ${file.operator.token}`,
    '',
    'Try:',
    ...file.examples.flatMap((e) => [
      `  # ${e.title} → ${e.expect.status}${e.expect.code ? ` ${e.expect.code}` : ''}`,
      `  ${e.curl}`,
      '',
    ]),
    'Changes the National Register published on start:',
    ...file.changes.published.map((c) => `  ${c.title}: ${c.recipients} recipient(s), change ${c.changeId}`),
    `  # OCMW Gent's webhook received (signed CloudEvents): curl -s ${file.changes.webhook}`,
    `  # ${file.changes.feed.title}`,
    `  ${file.changes.feed.curl}`,
    '  # Publish another (a move of that person): npx crossroads demo change <insz>',
    '',
  ];
  console.log(lines.join('\n'));
}

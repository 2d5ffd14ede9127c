// `crossroads log verify [--db PATH]`: recomputes every record's hash and link.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { readConfig } from '../config.ts';
import { verifyChain } from '../log/index.ts';
import { openStore } from '../store/index.ts';

export async function runLogCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify') {
    console.error('usage: crossroads log verify [--db PATH]');
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { db: { type: 'string' } } });
  const path = values.db ?? readConfig().databasePath;
  if (!existsSync(path)) {
    console.error(`no database at ${path}`);
    return 2;
  }
  const store = await openStore({ path });
  try {
    const result = await verifyChain(store.db);
    console.log(JSON.stringify(result));
    return result.ok ? 0 : 1;
  } finally {
    await store.close();
  }
}

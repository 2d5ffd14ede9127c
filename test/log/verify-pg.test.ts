// `crossroads log verify --db postgres://...`: the real CLI in a child process on a hub's own
// PostgreSQL database — intact, then with one record's text changed, then with one stored tree node
// changed. Runs when CROSSROADS_TEST_PG_URL names a server it may create databases on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import type { LogVerdict } from '../../src/log/index.ts';
import { createTestDatabase, dropTestDatabase } from '../helpers/engine.ts';
import { startTestHub } from '../helpers/test-hub.ts';
import { cliJson, exchanges, runCli, waitForTree } from './log-helpers.ts';

const skip = process.env.CROSSROADS_TEST_PG_URL
  ? false
  : 'needs a PostgreSQL server: set CROSSROADS_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)';

/** Runs `change` on the database at `url` over a connection of its own. */
async function edit(url: string, change: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await change(client);
  } finally {
    await client.end();
  }
}

test(
  'crossroads log verify on a PostgreSQL store: ok, then the tampered record and node named',
  { skip },
  async () => {
    const url = await createTestDatabase();
    // No signing key in here: the key must come from --vkey, and no SQLite file is looked for.
    const work = mkdtempSync(join(tmpdir(), 'crossroads-verify-pg-'));
    try {
      const th = await startTestHub({ env: { CROSSROADS_DATABASE_URL: url } });
      let vkey: string;
      let size: number;
      let checkpoints: number;
      try {
        await waitForTree(th.hub);
        await exchanges(th, 3);
        await waitForTree(th.hub);
        await exchanges(th, 3);
        size = (await waitForTree(th.hub)).size;
        assert.ok(size >= 6, `${size} records: enough for tree node level 1 index 2`);
        checkpoints = (await th.hub.store.reader.all('SELECT size FROM checkpoints', [])).length;
        vkey = th.hub.logKey.verifierKey;
      } finally {
        await th.close();
      }
      const verify = async (args: string[], env: Record<string, string> = {}) => {
        const result = await runCli(['log', 'verify', ...args, '--vkey', vkey], {
          CROSSROADS_DATA_DIR: work,
          ...env,
        });
        return { code: result.code, verdict: cliJson<LogVerdict>(result) };
      };

      const intact = await verify(['--db', url]);
      assert.equal(intact.code, 0, JSON.stringify(intact.verdict));
      assert.deepEqual(intact.verdict, { ok: true, records: size, treeSize: size, checkpoints });
      // Without --db: the hub's own database, CROSSROADS_DATABASE_URL.
      const fromEnv = await verify([], { CROSSROADS_DATABASE_URL: url });
      assert.equal(fromEnv.code, 0, JSON.stringify(fromEnv.verdict));

      const index = size - 3;
      await edit(url, (c) =>
        c.query(
          `UPDATE exchange_log SET record = replace(record, '"outcome":"', '"outcome":"x') WHERE seq = $1`,
          [index + 1],
        ),
      );
      const record = await verify(['--db', url]);
      assert.equal(record.code, 1, JSON.stringify(record.verdict));
      assert.ok(!record.verdict.ok);
      assert.equal(record.verdict.index, index);
      assert.match(record.verdict.problem, /stored hash does not match its content/);

      // The record put back, a level-1 node changed: found through the per-level range reads.
      await edit(url, (c) =>
        c.query(
          `UPDATE exchange_log SET record = replace(record, '"outcome":"x', '"outcome":"') WHERE seq = $1`,
          [index + 1],
        ),
      );
      assert.equal((await verify(['--db', url])).code, 0);
      await edit(url, (c) =>
        c.query(`UPDATE merkle_nodes SET hash = reverse(hash) WHERE level = 1 AND idx = 2`),
      );
      const node = await verify(['--db', url]);
      assert.equal(node.code, 1, JSON.stringify(node.verdict));
      assert.ok(!node.verdict.ok);
      assert.equal(node.verdict.index, 4);
      assert.match(node.verdict.problem, /tree node level 1 index 2 differs/);
    } finally {
      rmSync(work, { recursive: true, force: true });
      await dropTestDatabase(url); // DROP DATABASE ... WITH (FORCE)
    }
  },
);

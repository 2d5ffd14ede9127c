// Fail closed, against a really running hub with a controllable clock: while the sequencer is
// paused or cannot sign, exchanges are forwarded only within the fail-closed window; after it they
// are refused with LOG_UNAVAILABLE (and the refusal itself is logged), until the sequencer catches
// up again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/kernel/index.ts';
import { verifyInclusion } from '../../src/log/index.ts';
import {
  type TestHub,
  assertProblem,
  expectForwarded,
  expectRefused,
  operatorToken,
  startTestHub,
} from '../helpers/test-hub.ts';
import { sql } from 'kysely';
import { b64, editDatabase, permitted, waitFor, waitForTree } from './log-helpers.ts';

const WINDOW_MS = 60_000;
let th: TestHub;
let clock: ManualClock;

before(async () => {
  // Close to real time: the demo's registrations and authorisations are dated from today.
  clock = new ManualClock(new Date());
  th = await startTestHub({ clock, env: { CROSSROADS_LOG_FAIL_CLOSED_AFTER_MS: String(WINDOW_MS) } });
  await waitForTree(th.hub);
});
after(async () => {
  await th?.close();
});

interface Status {
  records: number;
  treeSize: number;
  available: boolean;
  integrationError: string | null;
}
const operator = () => ({ token: operatorToken(th.demo) });
const status = async () => (await th.call<Status>('GET', '/admin/log/status', operator())).body;
const sequencer = (paused: boolean) =>
  th.call('POST', '/admin/log/sequencer', { ...operator(), body: { paused } });
const sourceCalls = () => [...th.demo.sources.values()].reduce((n, s) => n + s.received.length, 0);

/** Resumes normal operation and checks exchanges are forwarded again within 2.5 s. */
async function expectRecovery(): Promise<void> {
  const started = Date.now();
  await waitFor('the log to accept exchanges again', async () => (await status()).available, 2_500);
  await expectForwarded(th, permitted(th));
  assert.ok(Date.now() - started <= 2_500, `recovered after ${Date.now() - started} ms`);
}

describe('fail closed when the sequencer is paused', () => {
  let refusedSeq = 0;

  test('pausing the sequencer needs the operator', async () => {
    const body = { paused: true };
    assertProblem(await th.call('POST', '/admin/log/sequencer', { body }), 401, 'UNAUTHENTICATED');
    const institution = { token: th.demo.credential('ocmwGent'), body };
    assertProblem(await th.call('POST', '/admin/log/sequencer', institution), 403, 'OPERATOR_ONLY');
    assert.equal((await status()).available, true);
  });

  test('while paused, exchanges within the window are forwarded and wait for the tree', async () => {
    assert.equal((await sequencer(true)).status, 204);
    await expectForwarded(th, permitted(th));
    clock.advance(WINDOW_MS - 1_000);
    await expectForwarded(th, permitted(th));
    const now = await status();
    assert.equal(now.available, true);
    assert.equal(now.records, th.hub.log.size);
    assert.equal(now.treeSize, now.records - 2, 'the two exchanges are not in the signed tree');
  });

  test('past the window an exchange is refused 503 LOG_UNAVAILABLE, not forwarded, and the refusal is logged', async () => {
    clock.advance(2_000);
    assert.equal((await status()).available, false);
    const calls = sourceCalls();
    const { record } = await expectRefused(th, permitted(th), 503, 'LOG_UNAVAILABLE');
    assert.equal(record.outcome, 'refused');
    assert.equal(record.caller, th.demo.file.institutions.find((i) => i.key === 'ocmwGent')!.kbo);
    assert.equal(record.person, (permitted(th).body as { insz: string }).insz);
    await expectRefused(th, permitted(th, { purpose: 'another-purpose' }), 503, 'LOG_UNAVAILABLE');
    assert.equal(sourceCalls(), calls, 'no source was asked');
    refusedSeq = record.seq;
  });

  test('after resuming, exchanges are forwarded again within 2.5 s and the refusals are in the signed tree', async () => {
    assert.equal((await sequencer(false)).status, 204);
    await expectRecovery();
    const latest = await waitForTree(th.hub);
    const index = refusedSeq - 1;
    const proof = (await th.hub.tree.inclusionProof(index, latest.size)).map(b64);
    const leafHash = b64(await th.hub.tree.leafHash(index));
    verifyInclusion({
      leafIndex: index,
      treeSize: latest.size,
      leafHash,
      proof,
      rootHash: b64(latest.rootHash),
    });
  });
});

describe('fail closed when the sequencer cannot sign', () => {
  const failSigning = async (on: boolean) => {
    if (th.hub.store.dialect === 'sqlite')
      return editDatabase(th.hub.store.location, (db) =>
        db.exec(
          on
            ? "CREATE TRIGGER test_no_checkpoints BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            : 'DROP TRIGGER test_no_checkpoints',
        ),
      );
    if (on) {
      await sql`CREATE OR REPLACE FUNCTION test_no_checkpoints() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'disk says no'; END $$`.execute(th.hub.store.db);
      await sql`CREATE TRIGGER test_no_checkpoints BEFORE INSERT ON checkpoints
        FOR EACH ROW EXECUTE FUNCTION test_no_checkpoints()`.execute(th.hub.store.db);
    } else {
      await sql`DROP TRIGGER test_no_checkpoints ON checkpoints`.execute(th.hub.store.db);
    }
  };

  test('while checkpoints cannot be stored, the operator sees why; past the window exchanges are refused', async () => {
    await waitForTree(th.hub);
    await failSigning(true);
    const before = th.hub.log.treeSize;
    await expectForwarded(th, permitted(th));
    const failing = await waitFor('the sequencer to report its failure', async () => {
      const now = await status();
      return now.integrationError ? now : undefined;
    });
    assert.match(failing.integrationError!, /disk says no/);
    assert.equal(failing.treeSize, before);
    assert.equal(failing.available, true, 'still within the window');
    clock.advance(WINDOW_MS + 1);
    await expectRefused(th, permitted(th), 503, 'LOG_UNAVAILABLE');
    assert.equal((await th.hub.tree.latestCheckpoint())?.size, before, 'nothing half-written');
  });

  test('once checkpoints can be stored again, exchanges are forwarded within 2.5 s', async () => {
    await failSigning(false);
    await expectRecovery();
    assert.equal((await status()).integrationError, null);
    await waitForTree(th.hub);
    assert.deepEqual(th.internalErrors, []);
  });
});

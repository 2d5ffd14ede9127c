// `crossroads witness` (the real CLI) against live hubs: it pins the hub's key and checkpoint,
// cosigns a consistent larger checkpoint, and refuses — without cosigning or moving its state —
// a fork (two hubs whose databases diverge after the same N records), a log that shrank, and a
// changed log key.
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openNote, parseVerifierKey, verifierKeyString } from '../../src/log/index.ts';
import { copyDataDir } from '../helpers/engine.ts';
import { type TestHub, operatorToken, startTestHub } from '../helpers/test-hub.ts';
import { cliJson, exchanges, runCli, waitForTree } from './log-helpers.ts';

const NAME = 'witness.example';
let work: string;
let keyFile: string;
let stateFile: string;
const hubs: TestHub[] = [];
const dir = (name: string) => join(work, name);

before(() => {
  work = mkdtempSync(join(tmpdir(), 'crossroads-witness-'));
  keyFile = join(work, `${NAME}.pem`);
  stateFile = join(work, 'witness-state.json');
});
after(async () => {
  for (const hub of hubs) await hub.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

async function start(name: string): Promise<TestHub> {
  const th = await startTestHub({ dataDir: dir(name) });
  hubs.push(th);
  await waitForTree(th.hub);
  return th;
}

async function stop(th: TestHub): Promise<void> {
  hubs.splice(hubs.indexOf(th), 1);
  await th.close();
}

interface Outcome {
  status: 'cosigned' | 'refused';
  size?: number;
  previousSize?: number;
  reason?: string;
  verifierKey: string;
}

async function witness(th: TestHub): Promise<{ code: number | null; outcome: Outcome }> {
  const result = await runCli(['witness', '--hub', th.url, '--key', keyFile, '--state', stateFile]);
  return { code: result.code, outcome: cliJson<Outcome>(result) };
}

const state = () => readFileSync(stateFile, 'utf8');
interface WitnessState {
  hubVerifierKey: string;
  size: number;
  rootHash: string;
}
const parsed = (text: string) => JSON.parse(text) as WitnessState;
const cosignatures = async (th: TestHub) =>
  Number((await th.hub.store.reader.all<{ n: number }>('SELECT COUNT(*) AS n FROM cosignatures', []))[0]!.n);

/** The witness's verified signatures on the hub's latest checkpoint. */
async function witnessSignatures(th: TestHub): Promise<number> {
  const note = (await th.call<string>('GET', '/public/log/checkpoint')).body;
  const witnessKey = parseVerifierKey(
    verifierKeyString(NAME, createPrivateKey(readFileSync(keyFile)), 'cosignature/v1'),
  );
  const opened = openNote(note, [parseVerifierKey(th.hub.logKey.verifierKey), witnessKey]);
  return opened.verified.filter((v) => v.name === NAME).length;
}

describe('a witness of one honest hub', () => {
  let a: TestHub;
  let firstSize = 0;

  test('prints its cosignature/v1 verifier key even when the hub refuses an unregistered witness', async () => {
    a = await start('a');
    const { code, outcome } = await witness(a);
    assert.equal(code, 1);
    assert.equal(outcome.status, 'refused');
    assert.match(outcome.reason!, /403.*UNKNOWN_WITNESS/);
    const key = createPrivateKey(readFileSync(keyFile));
    assert.equal(outcome.verifierKey, verifierKeyString(NAME, key, 'cosignature/v1'));
    const registered = await a.call('POST', '/admin/log/witnesses', {
      token: operatorToken(a.demo),
      body: { name: NAME, verifierKey: outcome.verifierKey },
    });
    assert.equal(registered.status, 201);
  });

  test('once registered, it cosigns the latest checkpoint, which the hub then publishes', async () => {
    const { code, outcome } = await witness(a);
    assert.equal(code, 0, JSON.stringify(outcome));
    firstSize = (await a.hub.tree.latestCheckpoint())!.size;
    assert.deepEqual(
      { ...outcome, verifierKey: '' },
      { status: 'cosigned', size: firstSize, previousSize: firstSize, verifierKey: '' },
    );
    assert.equal(await witnessSignatures(a), 1);
  });

  test('after more exchanges it checks consistency with what it saw and cosigns the larger checkpoint', async () => {
    await exchanges(a, 3);
    const latest = await waitForTree(a.hub);
    const { code, outcome } = await witness(a);
    assert.equal(code, 0, JSON.stringify(outcome));
    assert.equal(outcome.size, latest.size);
    assert.equal(outcome.previousSize, firstSize);
    assert.equal(latest.size, firstSize + 3);
    assert.equal(await witnessSignatures(a), 1);
    assert.equal(parsed(state()).size, latest.size);
    // The fork point: every copy below shares these records, key and cosignatures.
    await stop(a);
    for (const copy of ['b', 'shrunk', 'rekeyed']) await copyDataDir(dir('a'), dir(copy));
    rmSync(join(dir('rekeyed'), 'log-signing-key.pem'));
  });
});

describe('a witness of hubs that diverged after the same records', () => {
  let a: TestHub;
  let b: TestHub;
  let pinned = '';

  test('it cosigns hub A as it grows', async () => {
    a = await start('a');
    b = await start('b');
    assert.equal(b.hub.logKey.verifierKey, a.hub.logKey.verifierKey, 'B is A’s copy: same key');
    await exchanges(a, 2);
    await waitForTree(a.hub);
    const { code, outcome } = await witness(a);
    assert.equal(code, 0, JSON.stringify(outcome));
    pinned = state();
    assert.equal(parsed(pinned).rootHash, (await a.hub.tree.latestCheckpoint())!.rootHash);
  });

  test('hub B at the same size with another root is refused as a fork, and gets no cosignature', async () => {
    const before = await cosignatures(b);
    await exchanges(b, 2);
    const latest = await waitForTree(b.hub);
    assert.equal(latest.size, (await a.hub.tree.latestCheckpoint())!.size);
    assert.notEqual(latest.rootHash, (await a.hub.tree.latestCheckpoint())!.rootHash);
    const { code, outcome } = await witness(b);
    assert.equal(code, 1);
    assert.equal(outcome.status, 'refused');
    assert.match(outcome.reason!, /fork/);
    assert.equal(state(), pinned, 'the witness still holds A’s checkpoint');
    assert.equal(await cosignatures(b), before);
    assert.equal(await witnessSignatures(b), 0);
  });

  test('hub B grown larger is refused: its tree is not consistent with A’s, and gets no cosignature', async () => {
    const before = await cosignatures(b);
    await exchanges(b, 3);
    await waitForTree(b.hub);
    const { code, outcome } = await witness(b);
    assert.equal(code, 1);
    assert.equal(outcome.status, 'refused');
    assert.match(outcome.reason!, /PROOF_MISMATCH: not consistent with what this witness saw \(a fork\?\)/);
    assert.equal(state(), pinned);
    assert.equal(await cosignatures(b), before);
    assert.equal(await witnessSignatures(b), 0);
  });

  test('the refusals did not move the witness: it still cosigns hub A', async () => {
    await exchanges(a, 1);
    await waitForTree(a.hub);
    const { code, outcome } = await witness(a);
    assert.equal(code, 0, JSON.stringify(outcome));
    assert.equal(outcome.previousSize, parsed(pinned).size);
  });
});

describe('a witness of a hub that rewrote its past', () => {
  test('a hub whose log shrank is refused', async () => {
    const pinned = state();
    const shrunk = await start('shrunk');
    const before = await cosignatures(shrunk);
    const { code, outcome } = await witness(shrunk);
    assert.equal(code, 1);
    assert.match(outcome.reason!, new RegExp(`shrank from ${parsed(pinned).size} to ${shrunk.hub.log.size}`));
    assert.equal(state(), pinned);
    assert.equal(await cosignatures(shrunk), before, 'no cosignature for the shrunk log');
  });

  test('a hub whose log key changed is refused', async () => {
    const pinned = state();
    const rekeyed = await start('rekeyed');
    assert.notEqual(rekeyed.hub.logKey.verifierKey, parsed(pinned).hubVerifierKey);
    const { code, outcome } = await witness(rekeyed);
    assert.equal(code, 1);
    assert.match(outcome.reason!, /key changed/);
    assert.equal(state(), pinned);
  });
});

// The public log API against a really running hub: the verifier key, signed checkpoints and their
// history, RFC 9162 inclusion and consistency proofs checked with the project's verifier at every
// checkpoint size, refusals of bad queries, and witnesses posting cosignatures. (Fail closed:
// log-fail-closed.test.ts.)
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  type NoteVerifier,
  type StoredCheckpoint,
  createCosigner,
  formatCheckpoint,
  leafHash,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  verifierKeyString,
  verifyConsistency,
  verifyInclusion,
} from '../../src/log/index.ts';
import { type TestHub, assertProblem, operatorToken, startTestHub } from '../helpers/test-hub.ts';
import { b64, exchanges, recordTexts, toB64, waitFor, waitForTree } from './log-helpers.ts';

let th: TestHub;
let logKey: NoteVerifier;
let history: StoredCheckpoint[] = [];
const encoder = new TextEncoder();

before(async () => {
  th = await startTestHub();
  await waitForTree(th.hub);
});
after(async () => {
  await th?.close();
});

const operator = () => ({ token: operatorToken(th.demo) });
const getHistory = async () =>
  (await th.call<StoredCheckpoint[]>('GET', '/public/log/checkpoints?limit=1000')).body;

/** Runs `jobs` with at most `width` in flight. */
async function limited(jobs: (() => Promise<void>)[], width = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) await jobs[next++]!();
    }),
  );
}

describe('signed checkpoints', () => {
  test('GET /public/log/key publishes the origin and its Ed25519 verifier key', async () => {
    const { status, body } = await th.call<{ origin: string; verifierKey: string }>('GET', '/public/log/key');
    assert.equal(status, 200);
    assert.equal(body.origin, th.hub.config.logOrigin);
    assert.equal(body.verifierKey, th.hub.logKey.verifierKey);
    logKey = parseVerifierKey(body.verifierKey);
    assert.equal(logKey.name, body.origin);
    assert.equal(logKey.type, 'ed25519');
  });

  test('within 2.5 s of new exchanges the latest checkpoint is a signed note covering all of them', async () => {
    await exchanges(th, 3);
    const started = Date.now();
    const note = await waitFor('a checkpoint of the whole log', async () => {
      const { status, headers, body } = await th.call<string>('GET', '/public/log/checkpoint');
      assert.equal(status, 200);
      assert.match(headers.get('content-type') ?? '', /^text\/plain/);
      const checkpoint = parseCheckpoint(openNote(body, [logKey]).text);
      return checkpoint.size === th.hub.log.size ? body : undefined;
    });
    assert.ok(Date.now() - started <= 2_500, `took ${Date.now() - started} ms`);
    const opened = openNote(note, [logKey]);
    assert.deepEqual(
      opened.verified.map((v) => v.name),
      [th.hub.config.logOrigin],
    );
    const checkpoint = parseCheckpoint(opened.text);
    assert.equal(checkpoint.origin, th.hub.config.logOrigin);
    assert.equal(checkpoint.size, th.hub.log.size);
    // A few more checkpoints of known sizes: pause, exchange, resume (resuming integrates at once).
    for (const count of [1, 4, 6]) {
      assert.equal(
        (await th.call('POST', '/admin/log/sequencer', { ...operator(), body: { paused: true } })).status,
        204,
      );
      await exchanges(th, count);
      await th.call('POST', '/admin/log/sequencer', { ...operator(), body: { paused: false } });
      await waitForTree(th.hub);
    }
  });

  test('/public/log/checkpoints lists the history oldest first, every note signed by the log', async () => {
    history = await getHistory();
    assert.ok(history.length >= 5, `${history.length} checkpoints`);
    const sizes = history.map((c) => c.size);
    assert.deepEqual(
      sizes,
      [...sizes].sort((a, b) => a - b),
    );
    assert.equal(new Set(sizes).size, sizes.length, 'one checkpoint per size');
    assert.deepEqual(sizes.slice(-3), [sizes.at(-4)! + 1, sizes.at(-4)! + 5, sizes.at(-4)! + 11]);
    for (const cp of history) {
      const body = parseCheckpoint(openNote(cp.note, [logKey]).text);
      assert.equal(body.size, cp.size);
      assert.equal(toB64(body.rootHash), cp.rootHash);
      assert.ok(!Number.isNaN(Date.parse(cp.createdAt)));
    }
    const latest = await th.call<string>('GET', '/public/log/checkpoint');
    assert.equal(latest.body, history.at(-1)!.note);
    const from = await th.call<StoredCheckpoint[]>('GET', `/public/log/checkpoints?from=${sizes[1]}&limit=2`);
    assert.deepEqual(from.body, history.slice(1, 3));
    const beyond = await th.call<StoredCheckpoint[]>(
      'GET',
      `/public/log/checkpoints?from=${sizes.at(-1)! + 1}`,
    );
    assert.deepEqual(beyond.body, []);
  });
});

describe('proofs', () => {
  test('inclusion proofs verify for every index at every checkpoint size; leaves hash the stored records', async () => {
    const records = await recordTexts(th.hub.store.reader);
    const jobs = history.flatMap((cp) =>
      Array.from({ length: cp.size }, (_, index) => async () => {
        const { status, body } = await th.call<{
          index: number;
          size: number;
          leafHash: string;
          proof: string[];
        }>('GET', `/public/log/proof/inclusion?index=${index}&size=${cp.size}`);
        assert.equal(status, 200, JSON.stringify(body));
        assert.equal(body.index, index);
        assert.equal(body.size, cp.size);
        assert.equal(body.leafHash, toB64(leafHash(encoder.encode(records[index]))), `leaf ${index}`);
        verifyInclusion({
          leafIndex: index,
          treeSize: cp.size,
          leafHash: b64(body.leafHash),
          proof: body.proof.map(b64),
          rootHash: b64(cp.rootHash),
        });
      }),
    );
    assert.ok(jobs.length > 1_000, `${jobs.length} proofs`);
    await limited(jobs);
  });

  test('consistency proofs verify between consecutive checkpoints, first to last, and each to itself', async () => {
    const pairs: [StoredCheckpoint, StoredCheckpoint][] = history.slice(1).map((cp, i) => [history[i]!, cp]);
    pairs.push(
      [history[0]!, history.at(-1)!],
      ...history.map((cp): [StoredCheckpoint, StoredCheckpoint] => [cp, cp]),
    );
    for (const [a, b] of pairs) {
      const { status, body } = await th.call<{ from: number; to: number; proof: string[] }>(
        'GET',
        `/public/log/proof/consistency?from=${a.size}&to=${b.size}`,
      );
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual([body.from, body.to], [a.size, b.size]);
      if (a.size === b.size) assert.deepEqual(body.proof, []);
      verifyConsistency({
        size1: a.size,
        size2: b.size,
        root1: b64(a.rootHash),
        root2: b64(b.rootHash),
        proof: body.proof.map(b64),
      });
    }
  });

  test('bad proof and history queries are 4xx problems with stable codes, never 500', async () => {
    const size = history.at(-1)!.size;
    const cases: [string, number, string][] = [
      [`/public/log/proof/inclusion?index=${size}&size=${size}`, 400, 'VALIDATION_FAILED'],
      [`/public/log/proof/inclusion?index=${size + 5}&size=${size}`, 400, 'VALIDATION_FAILED'],
      [`/public/log/proof/inclusion?index=0&size=${size + 1}`, 404, 'LOG_SIZE_UNKNOWN'],
      ['/public/log/proof/inclusion?index=0&size=0', 400, 'VALIDATION_FAILED'],
      ['/public/log/proof/inclusion?index=-1&size=3', 400, 'VALIDATION_FAILED'],
      ['/public/log/proof/inclusion?index=abc&size=3', 400, 'VALIDATION_FAILED'],
      ['/public/log/proof/inclusion?index=1.5&size=3', 400, 'VALIDATION_FAILED'],
      ['/public/log/proof/inclusion?size=3', 400, 'VALIDATION_FAILED'],
      ['/public/log/proof/inclusion?index=0&size=99999999999999999999', 400, 'VALIDATION_FAILED'],
      [`/public/log/proof/consistency?from=${size}&to=${size - 1}`, 400, 'VALIDATION_FAILED'],
      [`/public/log/proof/consistency?from=1&to=${size + 1}`, 404, 'LOG_SIZE_UNKNOWN'],
      [`/public/log/proof/consistency?from=0&to=${size}`, 400, 'VALIDATION_FAILED'],
      ['/public/log/proof/consistency?from=one&to=two', 400, 'VALIDATION_FAILED'],
      ['/public/log/proof/consistency?to=5', 400, 'VALIDATION_FAILED'],
      ['/public/log/checkpoints?from=-1', 400, 'VALIDATION_FAILED'],
      ['/public/log/checkpoints?from=x', 400, 'VALIDATION_FAILED'],
      ['/public/log/checkpoints?limit=0', 400, 'VALIDATION_FAILED'],
      ['/public/log/checkpoints?limit=1001', 400, 'VALIDATION_FAILED'],
    ];
    for (const [path, status, code] of cases) assertProblem(await th.call('GET', path), status, code);
    assert.deepEqual(th.internalErrors, []);
  });
});

describe('witnesses', () => {
  const name = 'witness.example';
  const key = generateKeyPairSync('ed25519').privateKey;
  const witnessKey = verifierKeyString(name, key, 'cosignature/v1');
  const cosign = (text: string, signer = createCosigner(name, key, () => 1_800_000_000)) =>
    signNote(text, signer).trimEnd().split('\n').at(-1)!;
  const post = (size: number, signature: string) =>
    th.call<{ witness: string; cosignedAt: number }>('POST', '/public/log/cosignatures', {
      body: { size, signature },
    });

  test('registering a witness needs the operator', async () => {
    const body = { name, verifierKey: witnessKey };
    assertProblem(await th.call('POST', '/admin/log/witnesses', { body }), 401, 'UNAUTHENTICATED');
    const institution = { token: th.demo.credential('ocmwGent'), body };
    assertProblem(await th.call('POST', '/admin/log/witnesses', institution), 403, 'OPERATOR_ONLY');
  });

  test('the operator registers a cosignature/v1 key named like the witness, once', async () => {
    const plain = verifierKeyString(name, key);
    const bad = [
      { name, verifierKey: plain },
      { name: 'other.example', verifierKey: witnessKey },
      { name, verifierKey: `${witnessKey.slice(0, -4)}AAAA` },
    ];
    for (const body of bad)
      assertProblem(
        await th.call('POST', '/admin/log/witnesses', { ...operator(), body }),
        400,
        'VALIDATION_FAILED',
      );
    const created = await th.call('POST', '/admin/log/witnesses', {
      ...operator(),
      body: { name, verifierKey: witnessKey },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const again = await th.call('POST', '/admin/log/witnesses', {
      ...operator(),
      body: { name, verifierKey: witnessKey },
    });
    assertProblem(again, 409, 'WITNESS_EXISTS');
    const list = await th.call('GET', '/admin/log/witnesses', operator());
    assert.deepEqual(list.body, [{ name, verifierKey: witnessKey }]);
  });

  test('a cosignature over the checkpoint text is accepted and published with the checkpoint', async () => {
    const latest = await waitForTree(th.hub);
    const text = openNote(latest.note, [logKey]).text;
    const line = cosign(text);
    const accepted = await post(latest.size, line);
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    assert.deepEqual(accepted.body, { witness: name, cosignedAt: 1_800_000_000 });
    const { body: note } = await th.call<string>('GET', '/public/log/checkpoint');
    assert.equal(note, `${latest.note}${line}\n`);
    const opened = openNote(note, [logKey, parseVerifierKey(witnessKey)]);
    assert.deepEqual(opened.verified.map((v) => v.name).sort(), [th.hub.config.logOrigin, name].sort());
    const listed = (await getHistory()).find((cp) => cp.size === latest.size);
    assert.equal(listed?.note, note);
  });

  test('a cosignature over other text, another size or by another key is refused COSIGNATURE_INVALID', async () => {
    const latest = await waitForTree(th.hub);
    const text = openNote(latest.note, [logKey]).text;
    const forged = formatCheckpoint({
      origin: th.hub.config.logOrigin,
      size: latest.size,
      rootHash: new Uint8Array(32),
    });
    const earlier = history[0]!;
    const otherKey = createCosigner(name, generateKeyPairSync('ed25519').privateKey, () => 1_800_000_000);
    for (const [size, line] of [
      [latest.size, cosign(forged)],
      [earlier.size, cosign(text)],
      [latest.size, cosign(text, otherKey)],
      [latest.size, `— ${name} bm90IGEgc2lnbmF0dXJl`],
    ] as const)
      assertProblem(await post(size, line), 400, 'COSIGNATURE_INVALID');
    const { body: note } = await th.call<string>('GET', '/public/log/checkpoint');
    assert.equal(
      note.split('\n').filter((l) => l.startsWith('—')).length,
      2,
      'only the log and the one good cosignature',
    );
  });

  test('a cosignature from an unregistered witness is refused UNKNOWN_WITNESS; an unknown size LOG_SIZE_UNKNOWN', async () => {
    const latest = await waitForTree(th.hub);
    const text = openNote(latest.note, [logKey]).text;
    const stranger = createCosigner('stranger.example', generateKeyPairSync('ed25519').privateKey, () => 1);
    assertProblem(await post(latest.size, cosign(text, stranger)), 403, 'UNKNOWN_WITNESS');
    assertProblem(await post(latest.size, 'no signature line at all'), 403, 'UNKNOWN_WITNESS');
    assertProblem(await post(latest.size + 1, cosign(text)), 404, 'LOG_SIZE_UNKNOWN');
    assert.deepEqual(th.internalErrors, []);
  });
});

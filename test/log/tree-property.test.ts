// The storage path of the Merkle log as a property: for random log sizes 1..5,000, synthetic
// records in a real SQLite store are integrated by the Sequencer in random batch sizes (restarting
// it between batches, so it resumes from the stored tree), and then, read back through LogTree:
// the root equals a recursive RFC 9162 MTH oracle over the same leaves, the stored nodes are
// exactly the complete perfect subtrees of the tree (with the oracle's hashes), every checkpoint
// is signed over the oracle's root, and inclusion and consistency proofs verify.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import fc from 'fast-check';
import { Random } from '../../src/demo/index.ts';
import {
  type StoredCheckpoint,
  LogTree,
  Sequencer,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  verifierKeyString,
  verifyConsistency,
  verifyInclusion,
} from '../../src/log/index.ts';
import { openStore } from '../../src/store/index.ts';
import { b64, toB64 } from './log-helpers.ts';

const ORIGIN = 'property.test/exchange-log';
const KEY = generateKeyPairSync('ed25519').privateKey;
const PEM = KEY.export({ type: 'pkcs8', format: 'pem' }).toString();
const VKEY = parseVerifierKey(verifierKeyString(ORIGIN, KEY));
const encoder = new TextEncoder();

// ---- The oracle: RFC 9162 §2.1.1 as written, with its own SHA-256 calls. ----

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

const oracleLeaf = (text: string) => sha256(new Uint8Array([0]), encoder.encode(text));

/** MTH(D[start:end]): k is the largest power of two smaller than n. */
function mth(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return leaves[start]!;
  let k = 1;
  while (k * 2 < n) k *= 2;
  return sha256(new Uint8Array([1]), mth(leaves, start, start + k), mth(leaves, start + k, end));
}

/** Level l, index i: the hash of the perfect subtree over leaves [i·2^l, (i+1)·2^l). */
function perfectLevels(leaves: readonly Uint8Array[]): Uint8Array[][] {
  const levels = [[...leaves]];
  for (let below = levels[0]!; below.length >= 2; below = levels.at(-1)!) {
    levels.push(
      Array.from({ length: Math.floor(below.length / 2) }, (_, i) =>
        sha256(new Uint8Array([1]), below[2 * i]!, below[2 * i + 1]!),
      ),
    );
  }
  return levels;
}

// ---- One run: build the log, then check it. ----

interface Run {
  readonly size: number;
  /** Each step commits records up to a fraction of `size`, then integrates with `maxBatch`. */
  readonly steps: readonly { readonly upTo: number; readonly maxBatch: number }[];
  readonly seed: number;
}

async function checkRun({ size, steps, seed }: Run): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'crossroads-tree-'));
  const store = await openStore({ path: join(dir, 'log.db') });
  const db = new DatabaseSync(store.location);
  db.exec('PRAGMA synchronous = OFF');
  try {
    const random = new Random(seed);
    const texts = Array.from({ length: size }, (_, i) =>
      JSON.stringify({ seq: i + 1, kind: 'synthetic', n: random.int(0, 1e9), text: 'é'.repeat(i % 5) }),
    );
    const insert = db.prepare(
      'INSERT INTO exchange_log (seq, exchange_id, at, person, caller, record, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    let committed = 0;
    const integrated: number[] = [];
    const plan = [
      ...steps.map((s) => ({ ...s, upTo: Math.ceil(s.upTo * size) })),
      { upTo: size, maxBatch: 10_000 },
    ];
    for (const step of plan) {
      db.exec('BEGIN');
      for (; committed < step.upTo; committed++) {
        const text = texts[committed]!;
        insert.run(committed + 1, `x-${committed + 1}`, '2026-01-01T00:00:00.000Z', null, null, text, 'h');
      }
      db.exec('COMMIT');
      // A new Sequencer each step: it must resume from the stored tree, not from memory.
      const sequencer = new Sequencer(db, { origin: ORIGIN, privateKeyPem: PEM, maxBatch: step.maxBatch });
      for (let r = sequencer.integrate(); r; r = sequencer.integrate()) {
        assert.ok(r.integrated >= 1 && r.integrated <= step.maxBatch);
        integrated.push(r.size);
      }
      assert.equal(sequencer.size, committed);
    }

    const leaves = texts.map(oracleLeaf);
    const tree = new LogTree(store);
    const checkpoints = await tree.checkpoints(0, 100_000);
    assert.deepEqual(
      checkpoints.map((c) => c.size),
      integrated,
      'one checkpoint per integration step',
    );
    const latest = (await tree.latestCheckpoint())!;
    assert.equal(latest.size, size);
    assert.equal(latest.rootHash, toB64(mth(leaves, 0, size)), 'the root is the RFC 9162 MTH');

    // Every checkpoint sampled: signed by the log, over the MTH of its prefix.
    const sampled = [checkpoints[0]!, latest, ...Array.from({ length: 6 }, () => random.pick(checkpoints))];
    for (const cp of sampled) {
      const body = parseCheckpoint(openNote(cp.note, [VKEY]).text);
      assert.equal(body.origin, ORIGIN);
      assert.equal(body.size, cp.size);
      assert.equal(toB64(body.rootHash), cp.rootHash);
      assert.equal(cp.rootHash, toB64(mth(leaves, 0, cp.size)), `root of checkpoint ${cp.size}`);
    }

    // The stored nodes: every complete perfect subtree, with the oracle's hash, and nothing else.
    const levels = perfectLevels(leaves);
    const stored = db.prepare('SELECT level, idx, hash FROM merkle_nodes ORDER BY level, idx').all();
    const expected = levels.reduce((n, level) => n + level.length, 0);
    assert.equal(stored.length, expected, `a tree of ${size} leaves has ${expected} perfect subtrees`);
    for (const row of stored) {
      const hash = levels[Number(row.level)]?.[Number(row.idx)];
      assert.ok(
        hash,
        `node ${String(row.level)}/${String(row.idx)} is not a complete perfect subtree of ${size} leaves`,
      );
      assert.equal(row.hash, toB64(hash), `node ${String(row.level)}/${String(row.idx)}`);
    }

    // Inclusion: every index up to 1,000 leaves, a sample above; at the latest and an earlier size.
    const indices = (n: number) =>
      n <= 1_000
        ? Array.from({ length: n }, (_, i) => i)
        : [0, n - 1, ...Array.from({ length: 300 }, () => random.int(0, n - 1))];
    const earlier = random.pick(checkpoints);
    for (const cp of [latest, earlier]) {
      for (const index of indices(cp.size)) {
        assert.equal(await tree.leafHash(index), toB64(leaves[index]!));
        verifyInclusion({
          leafIndex: index,
          treeSize: cp.size,
          leafHash: leaves[index]!,
          proof: (await tree.inclusionProof(index, cp.size)).map(b64),
          rootHash: b64(cp.rootHash),
        });
      }
    }

    // Consistency between random earlier checkpoints and later ones, and first to last.
    const pairs: [StoredCheckpoint, StoredCheckpoint][] = [[checkpoints[0]!, latest]];
    for (let i = 0; i < 20; i++) {
      const [a, b] = [random.pick(checkpoints), random.pick(checkpoints)].sort((x, y) => x.size - y.size);
      pairs.push([a!, b!]);
    }
    for (const [a, b] of pairs) {
      verifyConsistency({
        size1: a.size,
        size2: b.size,
        root1: b64(a.rootHash),
        root2: b64(b.rootHash),
        proof: (await tree.consistencyProof(a.size, b.size)).map(b64),
      });
    }
  } finally {
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const runs = fc.record({
  size: fc.integer({ min: 1, max: 5_000 }),
  steps: fc.array(
    fc.record({
      upTo: fc.double({ min: 0, max: 1, noNaN: true }),
      maxBatch: fc.oneof(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 3_000 })),
    }),
    { maxLength: 5 },
  ),
  seed: fc.integer(),
});

test('the stored tree of random logs (1..5,000 records, random batches) matches the RFC 9162 oracle', async () => {
  await fc.assert(fc.asyncProperty(runs, checkRun), {
    numRuns: 16,
    examples: [
      [{ size: 1, steps: [], seed: 1 }],
      [{ size: 1_024, steps: [{ upTo: 0.5, maxBatch: 1 }], seed: 2 }],
      [
        {
          size: 5_000,
          steps: [
            { upTo: 0.3, maxBatch: 999 },
            { upTo: 0.9, maxBatch: 4_096 },
          ],
          seed: 3,
        },
      ],
    ],
  });
});

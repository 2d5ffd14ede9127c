// Properties of the tree builder, the stored-node proofs and the verifier, against an oracle that
// follows the recursive definitions of RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and §2.1.4.1
// (PROOF/SUBPROOF) literally, with its own SHA-256 calls.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  appendLeaves,
  compactRangeFromStore,
  consistencyProof,
  EMPTY_COMPACT_RANGE,
  inclusionProof,
  leafHash,
  MerkleError,
  rootFromStore,
  verifyConsistency,
  verifyInclusion,
} from '../../src/log/index.ts';
import type { CompactRange, NodeReader } from '../../src/log/index.ts';

// ---- The oracle: RFC 9162 §2.1 as written, memoised per tree so large trees stay fast. ----

function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

const entry = (i: number): Uint8Array => new TextEncoder().encode(`exchange ${i}`);

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

class Oracle {
  readonly #memo = new Map<string, Uint8Array>();

  /** MTH(D[start:end]). */
  mth(start: number, end: number): Uint8Array {
    const key = `${start}:${end}`;
    let hash = this.#memo.get(key);
    if (hash === undefined) {
      const n = end - start;
      const k = largestPowerOfTwoBelow(n);
      if (n === 0) hash = sha256();
      else if (n === 1) hash = sha256(new Uint8Array([0]), entry(start));
      else hash = sha256(new Uint8Array([1]), this.mth(start, start + k), this.mth(start + k, end));
      this.#memo.set(key, hash);
    }
    return hash;
  }

  /** PATH(m, D[start:end]), m relative to start. */
  path(m: number, start: number, end: number): Uint8Array[] {
    const n = end - start;
    if (n === 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (m < k) return [...this.path(m, start, start + k), this.mth(start + k, end)];
    return [...this.path(m - k, start + k, end), this.mth(start, start + k)];
  }

  /** SUBPROOF(m, D[start:end], b). */
  subproof(m: number, start: number, end: number, b: boolean): Uint8Array[] {
    const n = end - start;
    if (m === n) return b ? [] : [this.mth(start, end)];
    const k = largestPowerOfTwoBelow(n);
    if (m <= k) return [...this.subproof(m, start, start + k, b), this.mth(start + k, end)];
    return [...this.subproof(m - k, start + k, end, false), this.mth(start, start + k)];
  }
}

// ---- The system under test, fed in batches, with a store that counts and polices reads. ----

interface BuiltTree {
  readonly size: number;
  readonly store: Map<string, Uint8Array>;
  readonly range: CompactRange;
  readonly rootsAfterBatch: { size: number; root: Uint8Array }[];
}

function build(size: number, batchSizes: number[]): BuiltTree {
  const store = new Map<string, Uint8Array>();
  const rootsAfterBatch: { size: number; root: Uint8Array }[] = [];
  let range = EMPTY_COMPACT_RANGE;
  for (let b = 0; range.size < size; b++) {
    const count = Math.min(batchSizes[b % batchSizes.length] ?? 1, size - range.size);
    const leaves = Array.from({ length: count }, (_, i) => leafHash(entry(range.size + i)));
    const result = appendLeaves(range, leaves);
    for (const { level, index, hash } of result.nodes) {
      const key = `${level}/${index}`;
      assert.ok(!store.has(key), `node ${key} stored twice`);
      store.set(key, hash);
    }
    range = result.range;
    rootsAfterBatch.push({ size: range.size, root: result.root });
  }
  return { size, store, range, rootsAfterBatch };
}

/** A reader that refuses nodes the builder never stored, and counts what it reads. */
function reader(store: Map<string, Uint8Array>): { get: NodeReader; reads: () => number } {
  let reads = 0;
  const get: NodeReader = (level, index) => {
    reads++;
    const hash = store.get(`${level}/${index}`);
    if (hash === undefined) throw new Error(`node ${level}/${index} was never stored`);
    return hash;
  };
  return { get, reads: () => reads };
}

const log2Ceil = (n: number): number => Math.ceil(Math.log2(Math.max(n, 2)));

function flipBit(hashes: readonly Uint8Array[], which: number): Uint8Array[] {
  const copy = hashes.map((hash) => hash.slice());
  const target = copy[which % copy.length] as Uint8Array;
  target[which % 32] = (target[which % 32] ?? 0) ^ (1 << (which % 8));
  return copy;
}

const treeArbitrary = fc.record({
  size: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 5000 })),
  batches: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }),
  seed: fc.nat(),
});

/** Deterministic pseudo-random integers in [0, bound) from a fast-check seed. */
function sampler(seed: number): (bound: number) => number {
  let state = seed + 1;
  return (bound) => {
    state = (state * 48271) % 2147483647;
    return state % bound;
  };
}

test('the builder stores every perfect subtree once and its roots match MTH', () => {
  fc.assert(
    fc.property(treeArbitrary, ({ size, batches, seed }) => {
      const tree = build(size, batches);
      const oracle = new Oracle();
      for (const { size: s, root } of tree.rootsAfterBatch) assert.deepEqual(root, oracle.mth(0, s));
      let perfectSubtrees = 0;
      for (let width = 1; width <= size; width *= 2) perfectSubtrees += Math.floor(size / width);
      assert.equal(tree.store.size, perfectSubtrees);
      const { get, reads } = reader(tree.store);
      assert.deepEqual(compactRangeFromStore(size, get), tree.range);
      const random = sampler(seed);
      for (const s of [0, 1, size, 1 + random(size)]) {
        const before = reads();
        assert.deepEqual(rootFromStore(s, get), oracle.mth(0, s));
        assert.ok(reads() - before <= log2Ceil(s) + 1, `root of ${s} read ${reads() - before} nodes`);
      }
    }),
    { numRuns: 40 },
  );
});

test('inclusion proofs equal PATH, verify, and fail when tampered', () => {
  fc.assert(
    fc.property(treeArbitrary, ({ size, batches, seed }) => {
      const { store } = build(size, batches);
      const { get, reads } = reader(store);
      const oracle = new Oracle();
      const random = sampler(seed);
      const treeSize = random(2) === 0 ? size : 1 + random(size);
      const rootHash = oracle.mth(0, treeSize);
      const indices =
        treeSize <= 300
          ? Array.from({ length: treeSize }, (_, i) => i)
          : [0, treeSize - 1, ...Array.from({ length: 40 }, () => random(treeSize))];
      for (const leafIndex of indices) {
        const before = reads();
        const proof = inclusionProof(leafIndex, treeSize, get);
        assert.ok(reads() - before <= 2 * log2Ceil(treeSize), `inclusion read ${reads() - before} nodes`);
        assert.deepEqual(proof, oracle.path(leafIndex, 0, treeSize));
        const claim = {
          leafIndex,
          treeSize,
          leafHash: oracle.mth(leafIndex, leafIndex + 1),
          proof,
          rootHash,
        };
        verifyInclusion(claim);
        const otherLeaf = oracle.mth((leafIndex + 1) % size, ((leafIndex + 1) % size) + 1);
        if (size > 1) assert.throws(() => verifyInclusion({ ...claim, leafHash: otherLeaf }), MerkleError);
        if (proof.length > 0) {
          const tampered = flipBit(proof, random(256));
          assert.throws(() => verifyInclusion({ ...claim, proof: tampered }), MerkleError);
        }
        if (treeSize > 1) {
          const otherIndex = (leafIndex + 1) % treeSize;
          assert.throws(() => verifyInclusion({ ...claim, leafIndex: otherIndex }), MerkleError);
        }
      }
    }),
    { numRuns: 60 },
  );
});

test('consistency proofs equal PROOF, verify, and fail when tampered', () => {
  fc.assert(
    fc.property(treeArbitrary, ({ size, batches, seed }) => {
      const { store } = build(size, batches);
      const { get, reads } = reader(store);
      const oracle = new Oracle();
      const random = sampler(seed);
      const pairs: [number, number][] = [
        [1, size],
        [size, size],
      ];
      for (let i = 0; i < 30; i++) {
        const size2 = 1 + random(size);
        pairs.push([1 + random(size2), size2]);
      }
      for (const [size1, size2] of pairs) {
        const before = reads();
        const proof = consistencyProof(size1, size2, get);
        assert.ok(reads() - before <= 3 * log2Ceil(size2), `consistency read ${reads() - before} nodes`);
        assert.deepEqual(proof, oracle.subproof(size1, 0, size2, true));
        const claim = { size1, size2, root1: oracle.mth(0, size1), root2: oracle.mth(0, size2), proof };
        verifyConsistency(claim);
        if (proof.length > 0) {
          const tampered = flipBit(proof, random(256));
          assert.throws(() => verifyConsistency({ ...claim, proof: tampered }), MerkleError);
        }
        if (size1 < size2) {
          const wrongRoot1 = oracle.mth(0, size1 - 1);
          assert.throws(() => verifyConsistency({ ...claim, root1: wrongRoot1 }), MerkleError);
          assert.throws(
            () => verifyConsistency({ ...claim, root1: claim.root2, root2: claim.root1 }),
            MerkleError,
          );
        }
      }
    }),
    { numRuns: 50 },
  );
});

test('proof builders refuse sizes and indices outside the tree', () => {
  const { get } = reader(build(8, [8]).store);
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (error) {
      return error instanceof MerkleError ? error.code : 'not a MerkleError';
    }
    return undefined;
  };
  assert.equal(
    code(() => inclusionProof(8, 8, get)),
    'INDEX_OUT_OF_RANGE',
  );
  assert.equal(
    code(() => inclusionProof(-1, 8, get)),
    'INVALID_NUMBER',
  );
  assert.equal(
    code(() => consistencyProof(0, 8, get)),
    'SIZE_OUT_OF_RANGE',
  );
  assert.equal(
    code(() => consistencyProof(5, 4, get)),
    'SIZE_OUT_OF_RANGE',
  );
  assert.equal(
    code(() => rootFromStore(1.5, get)),
    'INVALID_NUMBER',
  );
  assert.equal(
    code(() => appendLeaves({ size: 3, hashes: [] }, [])),
    'COMPACT_RANGE_INVALID',
  );
  assert.equal(
    code(() => appendLeaves(EMPTY_COMPACT_RANGE, [new Uint8Array(31)])),
    'HASH_SIZE',
  );
});

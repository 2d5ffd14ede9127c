// The proof verifier against the test vectors of transparency-dev/merkle (testdata/), kept in
// test/log/vectors/merkle: one test per JSON file, accepted or rejected as `wantErr` says.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MerkleError, verifyConsistency, verifyInclusion } from '../../src/log/index.ts';

// A copy of shared/testdata/merkle (transparency-dev/merkle testdata, Apache-2.0; see its README),
// kept in the repository so a clone anywhere runs it.
const VECTORS = new URL('./vectors/merkle/', import.meta.url);

interface InclusionCase {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  wantErr: boolean;
}

interface ConsistencyCase {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  wantErr: boolean;
}

function jsonFiles(directory: URL): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort();
}

function bytes(base64: string): Uint8Array {
  return Uint8Array.fromBase64(base64);
}

function proofOf(proof: string[] | null): Uint8Array[] {
  return (proof ?? []).map(bytes);
}

function checkInclusion(c: InclusionCase): void {
  verifyInclusion({
    leafIndex: c.leafIdx,
    treeSize: c.treeSize,
    leafHash: bytes(c.leafHash),
    proof: proofOf(c.proof),
    rootHash: bytes(c.root),
  });
}

function checkConsistency(c: ConsistencyCase): void {
  verifyConsistency({
    size1: c.size1,
    size2: c.size2,
    root1: bytes(c.root1),
    root2: bytes(c.root2),
    proof: proofOf(c.proof),
  });
}

const files = jsonFiles(VECTORS);

test('the vector folder holds inclusion and consistency cases', () => {
  assert.ok(
    files.some((name) => name.startsWith('inclusion')),
    `no inclusion case in ${fileURLToPath(VECTORS)}`,
  );
  assert.ok(
    files.some((name) => name.startsWith('consistency')),
    'no consistency case',
  );
});

for (const name of files) {
  test(name, () => {
    const vector = JSON.parse(readFileSync(new URL(name, VECTORS), 'utf8')) as InclusionCase &
      ConsistencyCase;
    const check = name.startsWith('inclusion')
      ? () => checkInclusion(vector)
      : () => checkConsistency(vector);
    if (vector.wantErr) {
      assert.throws(check, MerkleError);
    } else {
      assert.doesNotThrow(check);
    }
  });
}

// Root hashes and proofs of RFC 9162 computed from stored perfect subtrees:
// MTH §2.1.1, inclusion paths §2.1.3.1 and consistency proofs §2.1.4.1
// (https://www.rfc-editor.org/rfc/rfc9162#section-2.1).
//
// The caller's storage answers `get(level, index)` (see tree-math.ts for the addressing). Each
// function reads O(log n) nodes, and only nodes of complete perfect subtrees, which is what a
// sequencer stores as the tree grows (compact-range.ts).
import { MerkleError } from './errors.ts';
import { emptyRoot, HASH_SIZE, nodeHash } from './hash.ts';
import { assertSafeCount, largestPowerOfTwoBelow, perfectSubtrees } from './tree-math.ts';

/** Returns the stored hash of the perfect subtree (level, index); throws if it is missing. */
export type NodeReader = (level: number, index: number) => Uint8Array;

function readNode(get: NodeReader, level: number, index: number): Uint8Array {
  const hash = get(level, index);
  if (hash.length !== HASH_SIZE) {
    throw new MerkleError('HASH_SIZE', `stored node (${level}, ${index}) has ${hash.length} bytes`);
  }
  return hash;
}

/**
 * MTH(D[start:start+count]) for a subtree of the RFC's split. Its perfect pieces are folded from
 * the right because the split puts the largest power of two on the left at every step.
 */
function subtreeHash(start: number, count: number, get: NodeReader): Uint8Array {
  const pieces = perfectSubtrees(start, count).map(({ level, index }) => readNode(get, level, index));
  let hash = pieces.pop();
  if (hash === undefined) return emptyRoot();
  for (let piece = pieces.pop(); piece !== undefined; piece = pieces.pop()) hash = nodeHash(piece, hash);
  return hash;
}

/** The root hash of the tree of the first `size` leaves. */
export function rootFromStore(size: number, get: NodeReader): Uint8Array {
  assertSafeCount(size, 'tree size');
  return subtreeHash(0, size, get);
}

/** The RFC 9162 §2.1.3.1 inclusion path of leaf `index` in the tree of the first `size` leaves. */
export function inclusionProof(index: number, size: number, get: NodeReader): Uint8Array[] {
  assertSafeCount(index, 'leaf index');
  assertSafeCount(size, 'tree size');
  if (index >= size) throw new MerkleError('INDEX_OUT_OF_RANGE', `leaf ${index} of ${size}`);
  // Walk down from the root; the path lists the siblings from the leaf upwards, so reverse it.
  const siblings: Uint8Array[] = [];
  let start = 0;
  let count = size;
  let m = index;
  while (count > 1) {
    const k = largestPowerOfTwoBelow(count);
    if (m < k) {
      // "PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) for m < k"
      siblings.push(subtreeHash(start + k, count - k, get));
      count = k;
    } else {
      // "PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k]) for m >= k"
      siblings.push(subtreeHash(start, k, get));
      start += k;
      count -= k;
      m -= k;
    }
  }
  return siblings.reverse();
}

/** The RFC 9162 §2.1.4.1 consistency proof from tree size `size1` to tree size `size2`. */
export function consistencyProof(size1: number, size2: number, get: NodeReader): Uint8Array[] {
  assertSafeCount(size1, 'first tree size');
  assertSafeCount(size2, 'second tree size');
  if (size1 === 0 || size1 > size2) throw new MerkleError('SIZE_OUT_OF_RANGE', `${size1} to ${size2}`);
  // "PROOF(m, D[n]) = SUBPROOF(m, D[n], true)", unrolled from the root down.
  const siblings: Uint8Array[] = [];
  let start = 0;
  let count = size2;
  let m = size1;
  let isOldRoot = true;
  while (m !== count) {
    const k = largestPowerOfTwoBelow(count);
    if (m <= k) {
      // "SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])"
      siblings.push(subtreeHash(start + k, count - k, get));
      count = k;
    } else {
      // "SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])"
      siblings.push(subtreeHash(start, k, get));
      start += k;
      count -= k;
      m -= k;
      isOldRoot = false;
    }
  }
  // "SUBPROOF(m, D[m], true) = {}" because the verifier already knows that root;
  // "SUBPROOF(m, D[m], false) = {MTH(D[m])}".
  const ending = isOldRoot ? [] : [subtreeHash(start, count, get)];
  return [...ending, ...siblings.reverse()];
}

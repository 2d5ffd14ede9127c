// Proof verification of RFC 9162: inclusion §2.1.3.2 and consistency §2.1.4.2
// (https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2,
//  https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2).
// The algorithms follow the RFC step by step; each step is quoted above the code that does it.
// Both functions return nothing when the proof holds and throw a MerkleError when it does not.
import { bytesEqual } from './encoding.ts';
import { MerkleError } from './errors.ts';
import { HASH_SIZE, nodeHash } from './hash.ts';
import { assertSafeCount, half, isOdd, isPowerOfTwo } from './tree-math.ts';

export interface InclusionClaim {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: Uint8Array;
  readonly proof: readonly Uint8Array[];
  readonly rootHash: Uint8Array;
}

export interface ConsistencyClaim {
  readonly size1: number;
  readonly size2: number;
  readonly root1: Uint8Array;
  readonly root2: Uint8Array;
  readonly proof: readonly Uint8Array[];
}

function assertHashSizes(hashes: readonly Uint8Array[], what: string): void {
  const bad = hashes.findIndex((hash) => hash.length !== HASH_SIZE);
  if (bad >= 0) throw new MerkleError('HASH_SIZE', `${what} ${bad} has ${hashes[bad]?.length} bytes`);
}

/** Throws unless `proof` shows that `leafHash` is leaf `leafIndex` of the tree with `rootHash`. */
export function verifyInclusion(claim: InclusionClaim): void {
  const { leafIndex, treeSize, leafHash, proof, rootHash } = claim;
  assertSafeCount(leafIndex, 'leaf index');
  assertSafeCount(treeSize, 'tree size');
  // A leaf hash of another length would be compared byte for byte with a one-leaf root: refuse it
  // first, as transparency-dev/merkle does.
  assertHashSizes([leafHash], 'leaf hash');
  assertHashSizes(proof, 'proof hash');
  // "1. Compare leaf_index from the inclusion_proof_v2 structure against tree_size. If leaf_index
  //  is greater than or equal to tree_size, then fail the proof verification."
  if (leafIndex >= treeSize) throw new MerkleError('INDEX_OUT_OF_RANGE', `leaf ${leafIndex} of ${treeSize}`);
  // "2. Set fn to leaf_index and sn to tree_size - 1."
  let fn = leafIndex;
  let sn = treeSize - 1;
  // "3. Set r to hash."
  let r = leafHash;
  // "4. For each value p in the inclusion_path array:"
  for (const p of proof) {
    // "a. If sn is 0, then stop the iteration and fail the proof verification."
    if (sn === 0) throw new MerkleError('PROOF_SIZE', 'the inclusion path is too long');
    // "b. If LSB(fn) is set, or if fn is equal to sn, then:"
    if (isOdd(fn) || fn === sn) {
      // "i. Set r to HASH(0x01 || p || r)."
      r = nodeHash(p, r);
      // "ii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn)
      //  is set or fn is 0."
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      // "Otherwise: i. Set r to HASH(0x01 || r || p)."
      r = nodeHash(r, p);
    }
    // "c. Finally, right-shift both fn and sn one time."
    [fn, sn] = [half(fn), half(sn)];
  }
  // "5. Compare sn to 0. Compare r against the root_hash. If sn is equal to 0 and r and the
  //  root_hash are equal, then the log has proven the inclusion of hash. Otherwise, fail the proof
  //  verification."
  if (sn !== 0) throw new MerkleError('PROOF_SIZE', 'the inclusion path is too short');
  if (!bytesEqual(r, rootHash)) throw new MerkleError('PROOF_MISMATCH', 'inclusion');
}

/** Throws unless `proof` shows that the tree with `root2` extends the tree with `root1`. */
export function verifyConsistency(claim: ConsistencyClaim): void {
  const { size1, size2, root1, root2, proof } = claim;
  assertSafeCount(size1, 'first tree size');
  assertSafeCount(size2, 'second tree size');
  // The RFC defines verification for "0 < first < second". An empty first tree proves nothing
  // and a shrinking tree is never consistent.
  if (size1 === 0 || size1 > size2) throw new MerkleError('SIZE_OUT_OF_RANGE', `${size1} to ${size2}`);
  if (size1 === size2) {
    // Equal sizes: nothing to prove, so the proof must be empty and the roots equal. The shared
    // test vectors (transparency-dev/merkle) compare the roots as plain bytes, of any length.
    if (proof.length > 0) throw new MerkleError('PROOF_SIZE', 'equal tree sizes need an empty proof');
    if (!bytesEqual(root1, root2)) throw new MerkleError('PROOF_MISMATCH', 'equal sizes, different roots');
    return;
  }
  assertHashSizes([root1, root2], 'root');
  assertHashSizes(proof, 'proof hash');
  verifyGrowingConsistency(size1, size2, root1, root2, proof);
}

function verifyGrowingConsistency(
  first: number,
  second: number,
  firstHash: Uint8Array,
  secondHash: Uint8Array,
  consistencyPath: readonly Uint8Array[],
): void {
  // "1. If consistency_path is an empty array, stop and fail the proof verification."
  if (consistencyPath.length === 0) throw new MerkleError('PROOF_SIZE', 'empty consistency proof');
  // "2. If first is an exact power of 2, then prepend first_hash to the consistency_path array."
  const path = isPowerOfTwo(first) ? [firstHash, ...consistencyPath] : [...consistencyPath];
  // "3. Set fn to first - 1 and sn to second - 1."
  let fn = first - 1;
  let sn = second - 1;
  // "4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set."
  while (isOdd(fn)) [fn, sn] = [half(fn), half(sn)];
  // "5. Set both fr and sr to the first value in the consistency_path array."
  let fr = path[0] as Uint8Array;
  let sr = fr;
  // "6. For each subsequent value c in the consistency_path array:"
  for (const c of path.slice(1)) {
    // "a. If sn is 0, then stop the iteration and fail the proof verification."
    if (sn === 0) throw new MerkleError('PROOF_SIZE', 'the consistency proof is too long');
    // "b. If LSB(fn) is set, or if fn is equal to sn, then:"
    if (isOdd(fn) || fn === sn) {
      // "i. Set fr to HASH(0x01 || c || fr). ii. Set sr to HASH(0x01 || c || sr)."
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      // "iii. If LSB(fn) is not set, then right-shift both fn and sn equally until either LSB(fn)
      //  is set or fn is 0."
      while (!isOdd(fn) && fn !== 0) [fn, sn] = [half(fn), half(sn)];
    } else {
      // "Otherwise: i. Set sr to HASH(0x01 || sr || c)."
      sr = nodeHash(sr, c);
    }
    // "c. Finally, right-shift both fn and sn one time."
    [fn, sn] = [half(fn), half(sn)];
  }
  // "7. After completing iterating through the consistency_path array as described above, verify
  //  that the fr calculated is equal to the first_hash supplied, that the sr calculated is equal
  //  to the second_hash supplied, and that sn is 0."
  if (sn !== 0) throw new MerkleError('PROOF_SIZE', 'the consistency proof is too short');
  if (!bytesEqual(fr, firstHash)) throw new MerkleError('PROOF_MISMATCH', 'first root');
  if (!bytesEqual(sr, secondHash)) throw new MerkleError('PROOF_MISMATCH', 'second root');
}

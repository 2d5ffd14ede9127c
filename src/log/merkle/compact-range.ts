// Incremental tree building for the sequencer: the "compact range" of transparency-dev/merkle
// (https://github.com/transparency-dev/merkle/tree/main/compact), over RFC 9162 §2.1.1 hashing.
//
// A tree of n leaves is fully summarised by the hashes of its right-edge perfect subtrees, one per
// one bit of n, largest (leftmost) first: at most 53 hashes. Appending leaves merges equal-sized
// neighbours like a binary counter carries, and every merge completes one perfect subtree, which
// the caller stores at its (level, index) address so later proofs can read it (proofs.ts).
import { MerkleError } from './errors.ts';
import { emptyRoot, HASH_SIZE, nodeHash } from './hash.ts';
import type { NodeReader } from './proofs.ts';
import { assertSafeCount, countPerfectSubtrees, half, isOdd, perfectSubtrees } from './tree-math.ts';

/** The right-edge perfect subtree hashes of a tree of `size` leaves, left to right. */
export interface CompactRange {
  readonly size: number;
  readonly hashes: readonly Uint8Array[];
}

/** A newly completed perfect subtree, to be stored at (level, index). */
export interface StoredNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Uint8Array;
}

export interface AppendResult {
  /** The compact range of the grown tree, to keep for the next batch. */
  readonly range: CompactRange;
  /** Every perfect subtree completed by this batch, leaves included, in completion order. */
  readonly nodes: readonly StoredNode[];
  /** The root hash of the grown tree. */
  readonly root: Uint8Array;
}

export const EMPTY_COMPACT_RANGE: CompactRange = { size: 0, hashes: [] };

function assertValidRange(range: CompactRange): void {
  assertSafeCount(range.size, 'compact range size');
  if (range.hashes.length !== countPerfectSubtrees(range.size)) {
    throw new MerkleError('COMPACT_RANGE_INVALID', `${range.hashes.length} hashes for size ${range.size}`);
  }
  if (range.hashes.some((hash) => hash.length !== HASH_SIZE)) throw new MerkleError('HASH_SIZE');
}

/** The root hash of the tree a compact range summarises. */
function rootOf(hashes: readonly Uint8Array[]): Uint8Array {
  let root = hashes.at(-1);
  if (root === undefined) return emptyRoot();
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root);
  return root;
}

/**
 * Appends leaf hashes at the end of the tree `range` describes. Returns the new range, the nodes
 * to store (each leaf and each perfect subtree the batch completes) and the new root. Pure: the
 * input range is not modified.
 */
export function appendLeaves(range: CompactRange, leafHashes: readonly Uint8Array[]): AppendResult {
  assertValidRange(range);
  assertSafeCount(range.size + leafHashes.length, 'tree size after append');
  const hashes = [...range.hashes];
  const nodes: StoredNode[] = [];
  let size = range.size;
  for (const leaf of leafHashes) {
    if (leaf.length !== HASH_SIZE) throw new MerkleError('HASH_SIZE', `leaf ${size}`);
    nodes.push({ level: 0, index: size, hash: leaf });
    hashes.push(leaf);
    // While the new subtree is a right child, it completes its parent: merge with the left sibling.
    let level = 0;
    for (let position = size; isOdd(position); position = half(position)) {
      const right = hashes.pop() as Uint8Array;
      const left = hashes.pop() as Uint8Array;
      const parent = nodeHash(left, right);
      level++;
      nodes.push({ level, index: half(position), hash: parent });
      hashes.push(parent);
    }
    size++;
  }
  return { range: { size, hashes }, nodes, root: rootOf(hashes) };
}

/** Rebuilds the compact range of a stored tree of `size` leaves, e.g. when a sequencer restarts. */
export function compactRangeFromStore(size: number, get: NodeReader): CompactRange {
  assertSafeCount(size, 'tree size');
  const hashes = perfectSubtrees(0, size).map(({ level, index }) => get(level, index));
  const range = { size, hashes };
  assertValidRange(range);
  return range;
}

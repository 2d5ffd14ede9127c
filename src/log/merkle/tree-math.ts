// Pure geometry of RFC 9162 Merkle trees (https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1).
//
// Addressing scheme for stored nodes: node (level, index) is the perfect subtree of 2^level leaves
// covering [index * 2^level, (index + 1) * 2^level); level 0 holds the leaf hashes. Only complete
// perfect subtrees are ever stored or read: any subtree of the RFC's recursive split is a run of
// them, so a proof reads O(log n) stored nodes and never the whole log.
//
// Sizes are JavaScript numbers limited to 2^53 - 1 leaves. Bitwise operators would truncate to 32
// bits, so the arithmetic below uses division and multiplication, which are exact in that range.
import { MerkleError } from './errors.ts';

/** The address of a stored perfect subtree. */
export interface NodeAddress {
  readonly level: number;
  readonly index: number;
}

/** Throws INVALID_NUMBER unless `value` is an integer in [0, 2^53). */
export function assertSafeCount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new MerkleError('INVALID_NUMBER', `${what} = ${String(value)}`);
  }
}

/** LSB(n) of RFC 9162 §2.1.3.2: whether the least significant bit is set. */
export function isOdd(n: number): boolean {
  return n % 2 === 1;
}

/** A right shift by one bit. */
export function half(n: number): number {
  return Math.floor(n / 2);
}

export function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}

/** "k be the largest power of two smaller than n (i.e., k < n <= 2k)", for n >= 2. */
export function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function largestPowerOfTwoAtMost(n: number): number {
  let k = 1;
  while (k * 2 <= n) k *= 2;
  return k;
}

function levelOf(powerOfTwo: number): number {
  let level = 0;
  for (let p = powerOfTwo; p > 1; p /= 2) level++;
  return level;
}

/**
 * The perfect subtrees that make up the leaves [start, start + count), left to right, largest
 * first. `start` must be a multiple of a power of two at least `count`, which holds for the whole
 * tree and for every subtree of the RFC's split, so each piece is aligned and therefore stored.
 */
export function perfectSubtrees(start: number, count: number): NodeAddress[] {
  const pieces: NodeAddress[] = [];
  let offset = start;
  let remaining = count;
  for (let width = largestPowerOfTwoAtMost(Math.max(count, 1)); remaining > 0; width /= 2) {
    if (width > remaining) continue;
    pieces.push({ level: levelOf(width), index: offset / width });
    offset += width;
    remaining -= width;
  }
  return pieces;
}

/** How many perfect subtrees make up a tree of `size` leaves: the number of one bits in size. */
export function countPerfectSubtrees(size: number): number {
  let ones = 0;
  for (let n = size; n > 0; n = half(n)) if (isOdd(n)) ones++;
  return ones;
}

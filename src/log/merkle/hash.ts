// Merkle tree hashing of RFC 9162 §2.1.1 (https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1),
// identical to RFC 6962 §2.1 with SHA-256.
import { createHash } from 'node:crypto';

/** SHA-256 output size in bytes; every leaf, node and root hash has this length. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  const digest = hash.digest();
  // A plain Uint8Array view, so callers never depend on Buffer's extra behaviour.
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** The hash of a leaf entry. */
export function leafHash(entry: Uint8Array): Uint8Array {
  // "The hash of a list with one entry (also known as a leaf hash) is:
  //  MTH({d(0)}) = HASH(0x00 || d(0))."
  return sha256(LEAF_PREFIX, entry);
}

/** The hash of an interior node from its two children. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  // "MTH(D_n) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))"
  return sha256(NODE_PREFIX, left, right);
}

/** The root hash of the empty tree. */
export function emptyRoot(): Uint8Array {
  // "The hash of an empty list is the hash of an empty string: MTH({}) = HASH()."
  return sha256();
}

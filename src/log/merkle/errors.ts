// The closed list of reasons the Merkle/checkpoint module refuses its input, after panva/jose
// src/util/errors.ts: one table defines every code, so `switch (error.code)` narrows and a test can
// compare the table with the documentation. Mapping a code to an HTTP status is the caller's job:
// the same refusal means "bad request" on an upload and "the log is lying" when we audit it.

/** Every code with its title; the comment above each says what an operator should do about it. */
export const MERKLE_ERROR_TITLES = {
  /** A size, index or timestamp is not an integer in [0, 2^53). Caller bug or hostile input. */
  INVALID_NUMBER: 'A tree size, leaf index or timestamp is not a non-negative safe integer',
  /** Inclusion asked for a leaf at or past the end of the tree. Ask again with a larger tree. */
  INDEX_OUT_OF_RANGE: 'The leaf index is not smaller than the tree size',
  /** Consistency needs 0 < size1 <= size2: nothing can be proven from an empty or a larger tree. */
  SIZE_OUT_OF_RANGE: 'The tree sizes are not ordered as 0 < first <= second',
  /** A hash is not 32 bytes: truncated or corrupted storage, or a malformed proof. */
  HASH_SIZE: 'A hash is not a 32-byte SHA-256 value',
  /** The proof has too few or too many hashes for the tree sizes it claims. Reject it. */
  PROOF_SIZE: 'The proof has the wrong number of hashes for these tree sizes',
  /** The proof does not lead to the root hash(es): wrong data, wrong tree, or a log fork. Alert. */
  PROOF_MISMATCH: 'The proof does not lead to the given root hash',
  /** The compact range does not describe a tree of its size. Rebuild it from storage. */
  COMPACT_RANGE_INVALID: 'The compact range does not match its tree size',
  /** The checkpoint body breaks c2sp.org/tlog-checkpoint. Reject it; do not try to repair it. */
  CHECKPOINT_MALFORMED: 'The checkpoint body is malformed',
  /** The signed note breaks c2sp.org/signed-note. Reject it. */
  NOTE_MALFORMED: 'The signed note is malformed',
  /** A key name, verifier key string or key object is unusable. Fix the configuration. */
  KEY_MALFORMED: 'The key name or key is malformed',
  /** A signature from a known key failed: forged or altered note. Alert, never ignore. */
  SIGNATURE_INVALID: 'A signature from a known key does not verify',
  /** No known key signed the note. Its text must be ignored. */
  NOTE_UNVERIFIED: 'No signature from a known key verifies',
} as const satisfies Record<string, string>;

export type MerkleErrorCode = keyof typeof MERKLE_ERROR_TITLES;

/** The only error this module throws on bad input; `code` is one of {@link MERKLE_ERROR_TITLES}. */
export class MerkleError extends Error {
  override readonly name = 'MerkleError';
  readonly code: MerkleErrorCode;

  constructor(code: MerkleErrorCode, detail?: string) {
    const title = MERKLE_ERROR_TITLES[code];
    super(detail === undefined ? title : `${title}: ${detail}`);
    this.code = code;
  }
}

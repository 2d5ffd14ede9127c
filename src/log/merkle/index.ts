// The Merkle tree, proofs and signed checkpoints of the exchange log. Pure and I/O-free: storage
// is the caller's, reached through a synchronous `get(level, index)` callback.
//
// Specifications: RFC 9162 §2.1 (hashing, inclusion and consistency proofs),
// C2SP tlog-checkpoint, signed-note and tlog-cosignature (Ed25519 v1).

// Hashing (RFC 9162 §2.1.1).
export { emptyRoot, HASH_SIZE, leafHash, nodeHash } from './hash.ts';

// Building the tree and its proofs from stored perfect subtrees.
export { appendLeaves, compactRangeFromStore, EMPTY_COMPACT_RANGE } from './compact-range.ts';
export type { AppendResult, CompactRange, StoredNode } from './compact-range.ts';
export { consistencyProof, inclusionProof, rootFromStore } from './proofs.ts';
export type { NodeReader } from './proofs.ts';

// Verifying proofs (RFC 9162 §2.1.3.2, §2.1.4.2).
export { verifyConsistency, verifyInclusion } from './verify.ts';
export type { ConsistencyClaim, InclusionClaim } from './verify.ts';

// Checkpoints, signed notes and cosignatures (C2SP).
export { formatCheckpoint, parseCheckpoint } from './checkpoint.ts';
export type { Checkpoint } from './checkpoint.ts';
export { openNote, signNote } from './note.ts';
export type { OpenedNote, VerifiedSignature } from './note.ts';
export { createNoteSigner } from './note-keys.ts';
export type { NoteSigner, NoteVerifier, SignatureType } from './note-keys.ts';
export { parseVerifierKey, verifierKeyString } from './verifier-key.ts';
export { cosignatureTime, createCosigner } from './cosignature.ts';

// Errors.
export { MERKLE_ERROR_TITLES, MerkleError } from './errors.ts';
export type { MerkleErrorCode } from './errors.ts';

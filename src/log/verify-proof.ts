// Offline check of one entry of a person's access list (/me/accesses): the record's canonical text
// hashes to the leaf, the leaf is in the signed tree (RFC 9162 inclusion proof), and the tree's
// checkpoint is signed by the log's key. Nothing is fetched: the entry carries all of it.
import {
  MerkleError,
  type NoteVerifier,
  leafHash,
  openNote,
  parseCheckpoint,
  verifyInclusion,
} from './merkle/index.ts';

export interface AccessEntryProof {
  readonly record: string;
  readonly logIndex: number;
  readonly proof: {
    readonly checkpoint: { readonly size: number; readonly rootHash: string; readonly note: string };
    readonly leafHash: string;
    readonly inclusion: readonly string[];
  } | null;
}

export type ProofVerdict =
  | { readonly ok: true; readonly logIndex: number; readonly treeSize: number }
  | { readonly ok: false; readonly problem: string };

const encoder = new TextEncoder();
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export function verifyEntryProof(entry: AccessEntryProof, logKey: NoteVerifier): ProofVerdict {
  if (!entry.proof) return { ok: false, problem: 'the entry has no proof yet: it is not in a signed tree' };
  const { checkpoint, inclusion } = entry.proof;
  if (recordSeq(entry.record) !== entry.logIndex + 1) {
    return {
      ok: false,
      problem: `the record is not number ${entry.logIndex + 1} of the log (leaf ${entry.logIndex})`,
    };
  }
  const leaf = leafHash(encoder.encode(entry.record));
  if (Buffer.from(leaf).toString('base64') !== entry.proof.leafHash) {
    return { ok: false, problem: 'the record does not hash to the leaf the proof names' };
  }
  try {
    const opened = openNote(checkpoint.note, [logKey]);
    const body = parseCheckpoint(opened.text);
    if (
      body.size !== checkpoint.size ||
      Buffer.from(body.rootHash).toString('base64') !== checkpoint.rootHash
    ) {
      return { ok: false, problem: 'the signed checkpoint names another tree than the proof' };
    }
    verifyInclusion({
      leafIndex: entry.logIndex,
      treeSize: body.size,
      leafHash: leaf,
      proof: inclusion.map(b64),
      rootHash: body.rootHash,
    });
    return { ok: true, logIndex: entry.logIndex, treeSize: body.size };
  } catch (error) {
    if (error instanceof MerkleError) return { ok: false, problem: `${error.code}: ${error.message}` };
    throw error;
  }
}

function recordSeq(text: string): number | undefined {
  try {
    const parsed = JSON.parse(text) as { seq?: unknown };
    return typeof parsed.seq === 'number' ? parsed.seq : undefined;
  } catch {
    return undefined;
  }
}

// Checkpoint bodies of C2SP tlog-checkpoint v1.0.0 (https://c2sp.org/tlog-checkpoint):
//
//   <origin>\n
//   <tree size, ASCII decimal>\n
//   <root hash, standard base64 with padding>\n
//   [<extension line>\n]...
//
// The body is the text of a signed note (note.ts); this file only formats and parses it.
// Parsing is strict: one checkpoint has exactly one spelling, so equal checkpoints are equal text.
import { decodeBase64Strict, encodeBase64, isCleanNoteText } from './encoding.ts';
import { MerkleError } from './errors.ts';
import { HASH_SIZE } from './hash.ts';

export interface Checkpoint {
  /** The log's unique identity, e.g. `crossroads.example/log/shard-0`. */
  readonly origin: string;
  /** The number of leaves; sizes are limited to 2^53 - 1. */
  readonly size: number;
  /** The RFC 9162 root hash of the tree of `size` leaves. */
  readonly rootHash: Uint8Array;
  /** Opaque extra lines; "The use of extension lines is NOT RECOMMENDED". */
  readonly extensions?: readonly string[];
}

// "the ASCII decimal representation of the number of leaves in the tree, with no leading zeroes
//  (unless the tree is empty, in which case the tree size is `0`)."
const TREE_SIZE = /^(?:0|[1-9][0-9]*)$/;

function malformed(detail: string): MerkleError {
  return new MerkleError('CHECKPOINT_MALFORMED', detail);
}

function assertCleanLine(line: string, what: string): void {
  // "Extension lines, if any, MUST be non-empty." "The origin MUST be non-empty".
  if (line === '' || line.includes('\n') || !isCleanNoteText(line)) throw malformed(`bad ${what} line`);
}

/** The note text of a checkpoint, ending in a newline. Throws CHECKPOINT_MALFORMED on bad fields. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  assertCleanLine(origin, 'origin');
  if (!Number.isSafeInteger(size) || size < 0) throw malformed(`tree size ${String(size)}`);
  if (rootHash.length !== HASH_SIZE) throw malformed(`root hash of ${rootHash.length} bytes`);
  for (const line of extensions) assertCleanLine(line, 'extension');
  return [origin, String(size), encodeBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

/** Parses the note text of a checkpoint. Throws CHECKPOINT_MALFORMED unless it is well formed. */
export function parseCheckpoint(text: string): Checkpoint {
  // "The note text is a sequence of at least three non-empty lines, separated by newlines"; as
  // note text it ends with a newline.
  if (!text.endsWith('\n')) throw malformed('missing final newline');
  const [origin, size, root, ...extensions] = text.slice(0, -1).split('\n');
  if (origin === undefined || size === undefined || root === undefined) throw malformed('fewer than 3 lines');
  assertCleanLine(origin, 'origin');
  for (const line of extensions) assertCleanLine(line, 'extension');
  if (!TREE_SIZE.test(size) || !Number.isSafeInteger(Number(size))) throw malformed(`tree size "${size}"`);
  // "The third line is the root hash, the base64 encoding of the root of the [RFC 6962] Merkle
  //  hash tree at the specified tree size."
  const rootHash = decodeBase64Strict(root);
  if (rootHash?.length !== HASH_SIZE) throw malformed(`root hash "${root}"`);
  return { origin, size: Number(size), rootHash, extensions };
}

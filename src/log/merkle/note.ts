// Signed notes of C2SP signed-note v1.0.0 (https://c2sp.org/signed-note):
//
//   <text, one or more lines, ending in "\n">
//   "\n"
//   "— " <key name> " " base64(key ID (4 bytes, big-endian) || signature) "\n"   (one or more)
//
// The em dash is U+2014. The text the signatures cover includes its final newline, but not the
// blank separator line.
import {
  concatBytes,
  decodeBase64Strict,
  encodeBase64,
  isCleanNoteText,
  readUint32BigEndian,
  uint32BigEndian,
  utf8,
} from './encoding.ts';
import { MerkleError } from './errors.ts';
import { isValidKeyName } from './note-keys.ts';
import type { NoteSigner, NoteVerifier, SignatureType } from './note-keys.ts';

/** A signature that a known key made and that verified. */
export interface VerifiedSignature {
  readonly name: string;
  readonly keyId: number;
  readonly type: SignatureType;
  /** The signature bytes after the key ID (for cosignatures: timestamp, then signature). */
  readonly signature: Uint8Array;
}

export interface OpenedNote {
  /** The signed text, final newline included. Trust it only because `verified` is non-empty. */
  readonly text: string;
  readonly verified: readonly VerifiedSignature[];
}

interface SignatureLine {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Uint8Array;
}

// "em dash (U+2014), space (U+0020), key name, space, base64-encoded signature, newline."
const SIGNATURE_PREFIX = '\u2014 ';
// "Verifiers SHOULD apply a maximum limit to the number of signatures in a note [...] but MUST
//  accept at least up to 16 signatures." 100 is the limit of Go's golang.org/x/mod/sumdb/note.
const MAX_SIGNATURES = 100;
const KEY_ID_SIZE = 4;

function malformed(detail: string): MerkleError {
  return new MerkleError('NOTE_MALFORMED', detail);
}

function assertCleanText(text: string): void {
  // "Signed notes MUST be valid UTF-8 and MUST NOT contain any ASCII control characters (those
  //  below U+0020) other than newline."
  if (!isCleanNoteText(text)) throw malformed('control character or invalid Unicode');
}

/** Signs `text` (which must end in a newline) with every signer and returns the signed note. */
export function signNote(text: string, signers: NoteSigner | readonly NoteSigner[]): string {
  assertCleanText(text);
  // "A signed note consists of a text ending in newline (U+000A)"
  if (!text.endsWith('\n')) throw malformed('the text must end with a newline');
  const list: readonly NoteSigner[] = 'sign' in signers ? [signers] : signers;
  if (list.length === 0) throw malformed('a note needs at least one signature');
  const bytes = utf8(text);
  const lines = list.map((signer) => {
    if (!isValidKeyName(signer.name)) throw new MerkleError('KEY_MALFORMED', `key name "${signer.name}"`);
    // "The first four bytes in the signature are the uint32 key ID stored in big-endian order."
    const signature = concatBytes(uint32BigEndian(signer.keyId), signer.sign(bytes));
    return `${SIGNATURE_PREFIX}${signer.name} ${encodeBase64(signature)}\n`;
  });
  // "followed by a blank line (only a newline), followed by one or more signature lines"
  return `${text}\n${lines.join('')}`;
}

function parseSignatureLine(line: string): SignatureLine {
  if (!line.startsWith(SIGNATURE_PREFIX)) throw malformed('a signature line must start with "— "');
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw malformed('a signature line needs a key name and a signature');
  const name = rest.slice(0, space);
  const bytes = decodeBase64Strict(rest.slice(space + 1));
  // "Key names MUST be non-empty and MUST NOT contain any Unicode spaces or plus (U+002B)"
  if (!isValidKeyName(name)) throw malformed(`key name "${name}"`);
  // "Signatures are the base64 encoding of 4+n bytes."
  if (bytes === undefined || bytes.length <= KEY_ID_SIZE) throw malformed(`signature of "${name}"`);
  return { name, keyId: readUint32BigEndian(bytes, 0), signature: bytes.subarray(KEY_ID_SIZE) };
}

/** Splits a note into its text and signature lines, checking only the format. */
function splitNote(note: string): { text: string; lines: SignatureLine[] } {
  assertCleanText(note);
  // "the text is separated from the signatures by the last empty line in the note."
  const split = note.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const block = note.slice(split + 2);
  if (block === '' || !block.endsWith('\n')) throw malformed('the signatures must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw malformed(`more than ${MAX_SIGNATURES} signatures`);
  return { text: note.slice(0, split + 1), lines: lines.map(parseSignatureLine) };
}

/**
 * Verifies a signed note against the known keys and returns its text with the signatures that
 * verified. Throws NOTE_UNVERIFIED when no known key signed it, SIGNATURE_INVALID when a known
 * key's signature fails, NOTE_MALFORMED when the format is broken. Which known keys must have
 * signed (the log's, k of n witnesses) is the caller's policy, decided on `verified`.
 */
export function openNote(note: string, verifiers: readonly NoteVerifier[]): OpenedNote {
  const { text, lines } = splitNote(note);
  const bytes = utf8(text);
  const verified: VerifiedSignature[] = [];
  for (const { name, keyId, signature } of lines) {
    // "Verifiers MUST ignore signatures from unknown keys, even if they share a name or ID (but
    //  not both) with a known key."
    const candidates = verifiers.filter((v) => v.name === name && v.keyId === keyId);
    if (candidates.length === 0) continue;
    // A second signature by the same key adds nothing; Go's reference drops it the same way.
    if (verified.some((v) => v.name === name && v.keyId === keyId)) continue;
    // "If the key name and ID match a known key, verifiers MUST verify the signature. If a
    //  signature from a known key fails to verify, clients SHOULD reject the whole note."
    const key = candidates.find((v) => v.verify(bytes, signature));
    if (key === undefined) throw new MerkleError('SIGNATURE_INVALID', `${name} ${keyId.toString(16)}`);
    verified.push({ name, keyId, type: key.type, signature });
  }
  // "If no signature from a known key verifies successfully, clients MUST reject the note."
  if (verified.length === 0) throw new MerkleError('NOTE_UNVERIFIED');
  return { text, verified };
}

// Keys of C2SP signed-note v1.0.0 (https://c2sp.org/signed-note#signatures): key names, key IDs,
// and the Ed25519 signer and verifier (signature type 0x01). Cosignature keys (type 0x04) are in
// cosignature.ts; both kinds share the NoteSigner / NoteVerifier shapes so one note carries both.
import { createHash, createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { concatBytes, readUint32BigEndian, utf8 } from './encoding.ts';
import { MerkleError } from './errors.ts';

/** The signature types this module knows: Ed25519 notes and Ed25519 cosignature/v1. */
export type SignatureType = 'ed25519' | 'cosignature/v1';

// "0x01 — Ed25519 signatures as specified by this document."
// "0x04 — Timestamped Ed25519 witness cosignatures, as specified by c2sp.org/tlog-cosignature."
export const SIGNATURE_TYPE_BYTES = { ed25519: 0x01, 'cosignature/v1': 0x04 } as const satisfies Record<
  SignatureType,
  number
>;

export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

/** Produces signature lines: `sign` gets the note text and returns the bytes after the key ID. */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: SignatureType;
  sign(text: Uint8Array): Uint8Array;
}

/** Checks signature lines of one known key: `verify` gets the bytes after the key ID. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  readonly type: SignatureType;
  readonly publicKey: Uint8Array;
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** Key names "MUST be non-empty and MUST NOT contain any Unicode spaces or plus (U+002B) characters." */
export function isValidKeyName(name: string): boolean {
  // \s misses U+0085, which Go's unicode.IsSpace (the reference implementation) counts as a space;
  // control characters are banned from the whole note anyway.
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  return name !== '' && name.isWellFormed() && !/[\s\u0085+\u0000-\u001f]/u.test(name);
}

export function assertValidKeyName(name: string): void {
  if (!isValidKeyName(name)) throw new MerkleError('KEY_MALFORMED', `key name "${name}"`);
}

/** "key ID = SHA-256(key name || 0x0A || signature type || public key)[:4]", big-endian. */
export function computeKeyId(name: string, type: SignatureType, publicKey: Uint8Array): number {
  const typeByte = new Uint8Array([SIGNATURE_TYPE_BYTES[type]]);
  const digest = createHash('sha256')
    .update(concatBytes(utf8(name), utf8('\n'), typeByte, publicKey))
    .digest();
  return readUint32BigEndian(digest, 0);
}

/** The 32 raw bytes of an Ed25519 key's public half (RFC 8032 encoding). */
export function ed25519PublicKeyBytes(key: KeyObject): Uint8Array {
  if (key.asymmetricKeyType !== 'ed25519') throw new MerkleError('KEY_MALFORMED', 'not an Ed25519 key');
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  const raw = publicKey.export({ format: 'raw-public' });
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

export function ed25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) throw new MerkleError('KEY_MALFORMED', 'public key size');
  try {
    return createPublicKey({ key: publicKey, format: 'raw-public', asymmetricKeyType: 'ed25519' });
  } catch {
    throw new MerkleError('KEY_MALFORMED', 'not an Ed25519 public key');
  }
}

export function assertEd25519PrivateKey(key: KeyObject): void {
  if (key.type !== 'private' || key.asymmetricKeyType !== 'ed25519') {
    throw new MerkleError('KEY_MALFORMED', 'signing needs an Ed25519 private key');
  }
}

/** A signer of plain Ed25519 note signatures (type 0x01), e.g. the log signing its checkpoints. */
export function createNoteSigner(name: string, privateKey: KeyObject): NoteSigner {
  assertValidKeyName(name);
  assertEd25519PrivateKey(privateKey);
  const keyId = computeKeyId(name, 'ed25519', ed25519PublicKeyBytes(privateKey));
  // "Ed25519 signatures are generated according to [RFC 8032] over the note text."
  return { name, keyId, type: 'ed25519', sign: (text) => new Uint8Array(sign(null, text, privateKey)) };
}

/** A verifier of plain Ed25519 note signatures (type 0x01) from one known key. */
export function createNoteVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  assertValidKeyName(name);
  const keyObject = ed25519PublicKeyObject(publicKey);
  return {
    name,
    keyId: computeKeyId(name, 'ed25519', publicKey),
    type: 'ed25519',
    publicKey: publicKey.slice(),
    verify: (text, signature) =>
      signature.length === ED25519_SIGNATURE_SIZE && verify(null, text, keyObject, signature),
  };
}

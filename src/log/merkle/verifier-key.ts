// Verifier key strings ("vkeys") of C2SP signed-note (https://c2sp.org/signed-note#verifier-keys),
// as golang.org/x/mod/sumdb/note writes them:
//
//   <key name> "+" <key ID, 8 hex digits> "+" base64(<signature type byte> || <public key>)
//
// e.g. "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW". Type 0x01 keys
// verify Ed25519 note signatures; type 0x04 keys verify tlog-cosignature v1 cosignatures ("Ed25519
// public keys MAY be encoded as vkeys with signature type 0x04").
import type { KeyObject } from 'node:crypto';
import { concatBytes, decodeBase64Strict, encodeBase64 } from './encoding.ts';
import { MerkleError } from './errors.ts';
import { createCosignatureVerifier } from './cosignature.ts';
import {
  assertValidKeyName,
  computeKeyId,
  createNoteVerifier,
  ED25519_PUBLIC_KEY_SIZE,
  ed25519PublicKeyBytes,
  SIGNATURE_TYPE_BYTES,
} from './note-keys.ts';
import type { NoteVerifier, SignatureType } from './note-keys.ts';

const KEY_ID_HEX = /^[0-9a-fA-F]{8}$/;

function hex8(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/** The vkey string of an Ed25519 key (public or private KeyObject) under `name`. */
export function verifierKeyString(name: string, key: KeyObject, type: SignatureType = 'ed25519'): string {
  assertValidKeyName(name);
  const publicKey = ed25519PublicKeyBytes(key);
  const material = concatBytes(new Uint8Array([SIGNATURE_TYPE_BYTES[type]]), publicKey);
  return `${name}+${hex8(computeKeyId(name, type, publicKey))}+${encodeBase64(material)}`;
}

function signatureTypeOf(byte: number | undefined): SignatureType | undefined {
  const types = Object.keys(SIGNATURE_TYPE_BYTES) as SignatureType[];
  return types.find((type) => SIGNATURE_TYPE_BYTES[type] === byte);
}

/** Parses a vkey string into a verifier for openNote. Throws KEY_MALFORMED on any defect. */
export function parseVerifierKey(vkey: string): NoteVerifier {
  // The name cannot contain "+", the key ID is hex; only the base64 part may hold more "+".
  const [name = '', id = '', ...rest] = vkey.split('+');
  const material = decodeBase64Strict(rest.join('+'));
  if (!KEY_ID_HEX.test(id) || material === undefined) throw new MerkleError('KEY_MALFORMED', 'vkey syntax');
  assertValidKeyName(name);
  const type = signatureTypeOf(material[0]);
  const publicKey = material.subarray(1);
  if (type === undefined) throw new MerkleError('KEY_MALFORMED', `unsupported signature type ${material[0]}`);
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) throw new MerkleError('KEY_MALFORMED', 'public key size');
  const verifier =
    type === 'ed25519' ? createNoteVerifier(name, publicKey) : createCosignatureVerifier(name, publicKey);
  // The key ID is derived from the rest, so a mismatch means a mistyped or tampered vkey.
  if (verifier.keyId !== parseInt(id, 16))
    throw new MerkleError('KEY_MALFORMED', 'key ID does not match key');
  return verifier;
}

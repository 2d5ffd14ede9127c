// Ed25519 cosignatures of C2SP tlog-cosignature (https://c2sp.org/tlog-cosignature), "v1":
// a witness's note signature on a checkpoint, saying that as of its timestamp this is the
// largest consistent tree head it has seen for that origin.
//
// Exactly what is signed and sent:
//
//   signed message = "cosignature/v1\n"
//                    "time " <timestamp, ASCII decimal, no leading zeroes> "\n"
//                    <the whole checkpoint note text, extension lines and final newline included>
//
//   signature line = "— " <cosigner name> " " base64( key ID (4 bytes, big-endian)
//                                                  || timestamp (8 bytes, big-endian u64)
//                                                  || Ed25519 signature (64 bytes) )
//
//   key ID = SHA-256(<name> || 0x0A || 0x04 || 32-byte Ed25519 public key)[:4]
//
// The timestamp is POSIX seconds. Values past 2^53 - 1 are refused: the spec allows up to
// 2^63 - 1 but also lets verifiers "reject cosignatures with timestamps in the future".
import type { KeyObject } from 'node:crypto';
import { sign, verify } from 'node:crypto';
import { parseCheckpoint } from './checkpoint.ts';
import { concatBytes, readUint64BigEndian, uint64BigEndian, utf8 } from './encoding.ts';
import { MerkleError } from './errors.ts';
import {
  assertEd25519PrivateKey,
  assertValidKeyName,
  computeKeyId,
  ED25519_SIGNATURE_SIZE,
  ed25519PublicKeyBytes,
  ed25519PublicKeyObject,
} from './note-keys.ts';
import type { NoteSigner, NoteVerifier } from './note-keys.ts';
import type { VerifiedSignature } from './note.ts';

const TIMESTAMP_SIZE = 8;

function cosignedMessage(timestamp: number, checkpointText: Uint8Array): Uint8Array {
  // "The signed message MUST be two newline (U+000A) terminated lines (one header line and one
  //  timestamp line) followed by the whole note body of the cosigned checkpoint (including the
  //  final newline, but not including any signature lines)."
  // "The header line MUST be the fixed string `cosignature/v1`"
  // "The timestamp line MUST consist of the string `time`, a single space (0x20), and
  //  `timestamped_signature.timestamp` encoded as an ASCII decimal with no leading zeroes."
  return concatBytes(utf8(`cosignature/v1\ntime ${String(timestamp)}\n`), checkpointText);
}

function decodeCheckpointText(text: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(text);
  } catch {
    throw new MerkleError('CHECKPOINT_MALFORMED', 'not UTF-8');
  }
}

/**
 * A cosigner (signature type 0x04) for signNote. `now` gives the POSIX time in seconds; it is
 * injected so the module stays pure and tests stay deterministic. Signing refuses any text that
 * is not a well-formed checkpoint, since a cosignature vouches for a checkpoint.
 */
export function createCosigner(name: string, privateKey: KeyObject, now: () => number): NoteSigner {
  assertValidKeyName(name);
  assertEd25519PrivateKey(privateKey);
  const keyId = computeKeyId(name, 'cosignature/v1', ed25519PublicKeyBytes(privateKey));
  const signCheckpoint = (text: Uint8Array): Uint8Array => {
    parseCheckpoint(decodeCheckpointText(text));
    const timestamp = now();
    if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
      throw new MerkleError('INVALID_NUMBER', `cosignature time ${String(timestamp)}`);
    }
    const signature = sign(null, cosignedMessage(timestamp, text), privateKey);
    // "The signature MUST be a `timestamped_signature` structure" (u64 timestamp, then the
    // signature), "with the timestamp encoded in big-endian order."
    return concatBytes(uint64BigEndian(timestamp), signature);
  };
  return { name, keyId, type: 'cosignature/v1', sign: signCheckpoint };
}

function readTimestamp(signature: Uint8Array): number | undefined {
  if (signature.length !== TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE) return undefined;
  const timestamp = readUint64BigEndian(signature, 0);
  return timestamp <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(timestamp) : undefined;
}

/** A verifier of cosignatures (signature type 0x04) from one known cosigner. */
export function createCosignatureVerifier(name: string, publicKey: Uint8Array): NoteVerifier {
  assertValidKeyName(name);
  const keyObject = ed25519PublicKeyObject(publicKey);
  const verifyCosignature = (text: Uint8Array, signature: Uint8Array): boolean => {
    const timestamp = readTimestamp(signature);
    if (timestamp === undefined) return false;
    return verify(null, cosignedMessage(timestamp, text), keyObject, signature.subarray(TIMESTAMP_SIZE));
  };
  return {
    name,
    // "The key ID for Ed25519 cosignatures MUST be computed as
    //  SHA-256(<name> || "\n" || 0x04 || 32-byte Ed25519 cosigner public key)[:4]"
    keyId: computeKeyId(name, 'cosignature/v1', publicKey),
    type: 'cosignature/v1',
    publicKey: publicKey.slice(),
    verify: verifyCosignature,
  };
}

/** The POSIX time (seconds) a verified cosignature was made at, as openNote returned it. */
export function cosignatureTime(signature: VerifiedSignature): number {
  const timestamp = signature.type === 'cosignature/v1' ? readTimestamp(signature.signature) : undefined;
  if (timestamp === undefined) throw new MerkleError('NOTE_MALFORMED', 'not a cosignature');
  return timestamp;
}

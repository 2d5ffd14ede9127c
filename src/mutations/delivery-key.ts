// The hub's Ed25519 key for signing webhook deliveries (RFC 9421, see signature.ts): generated on
// first start and kept (PKCS#8 PEM, mode 0600) in the data folder, like the log's signing key. Its
// public half is published as a JWK Set (RFC 7517 §5); `kid` is the key's RFC 7638 thumbprint, so a
// receiver can recompute it and a rotated key never reuses an identifier.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** RFC 8037 §2 public OKP key, with RFC 7517 §4 `kid`, `alg`, `use`. */
export interface DeliveryJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

export interface DeliveryKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly jwk: DeliveryJwk;
}

export function loadOrCreateDeliveryKey(path: string): DeliveryKey {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(path, 0o600); // the mode option is filtered by the umask; chmod is not
  }
  const privateKey = createPrivateKey(readFileSync(path, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`CONFIG_INVALID: ${path} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  const { x } = publicKey.export({ format: 'jwk' });
  if (x === undefined) throw new Error(`CONFIG_INVALID: ${path} has no Ed25519 public key`);
  const kid = jwkThumbprint(x);
  return {
    kid,
    privateKey,
    publicKey,
    jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' },
  };
}

/**
 * RFC 7638 §3.2: SHA-256 over the required members only (for OKP: crv, kty, x, RFC 8037 §2),
 * in lexicographic order with no whitespace; base64url without padding. Synchronous, unlike
 * jose's `calculateJwkThumbprint`, so start-up stays synchronous; the tests compare the two.
 */
export function jwkThumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

/** The JWK Set (RFC 7517 §5) receivers fetch to look up the key by `kid`. */
export function publicJwks(key: DeliveryKey): { keys: [DeliveryJwk] } {
  return { keys: [key.jwk] };
}

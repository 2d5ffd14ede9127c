// The log's Ed25519 signing key: generated on first start and kept (PKCS#8 PEM, mode 0600) in the
// data folder, or at CROSSROADS_LOG_KEY. Its verifier key (C2SP signed-note form) is published at
// /public/log/key and stored with every checkpoint's check by `crossroads log verify`.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { verifierKeyString } from './merkle/index.ts';

export interface LogSigningKey {
  /** The log's origin line, also the signed-note key name. */
  readonly origin: string;
  readonly privateKeyPem: string;
  readonly publicKey: KeyObject;
  /** `<name>+<key id>+<base64(0x01 ‖ public key)>` */
  readonly verifierKey: string;
}

export function loadOrCreateSigningKey(path: string, origin: string): LogSigningKey {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  const privateKeyPem = readFileSync(path, 'utf8');
  const privateKey = createPrivateKey(privateKeyPem);
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new Error(`CONFIG_INVALID: ${path} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  return { origin, privateKeyPem, publicKey, verifierKey: verifierKeyString(origin, publicKey) };
}

// The citizen side's one secret: 32 random bytes in `<data dir>/session-secret` (mode 0600),
// created on first start. Every key the login needs is derived from it (HKDF, RFC 5869), so hub
// nodes that share the data folder's secret accept each other's login cookies and form tokens.
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const SECRET_BYTES = 32;

export interface CitizenKeys {
  /** AES-256-GCM key of the login-flow cookie (PKCE verifier, state, nonce). */
  readonly flowKey: Uint8Array;
  /** HMAC key of the logout form token, which ties the form to its session. */
  readonly formKey: Uint8Array;
  /** The demo identity provider's client secret for this hub. */
  readonly demoClientSecret: string;
}

export function loadOrCreateSessionSecret(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    // 'wx': two nodes starting at once on a shared folder must not overwrite each other's secret.
    try {
      writeFileSync(path, randomBytes(SECRET_BYTES).toString('base64url') + '\n', {
        mode: 0o600,
        flag: 'wx',
      });
      chmodSync(path, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const secret = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
  if (secret.length < SECRET_BYTES)
    throw new Error(`CONFIG_INVALID: ${path} must hold ${SECRET_BYTES} random bytes (base64url)`);
  return secret;
}

export function deriveCitizenKeys(secret: Uint8Array): CitizenKeys {
  const derive = (info: string) => new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(0), info, 32));
  return {
    flowKey: derive('crossroads citizen login-flow cookie'),
    formKey: derive('crossroads citizen form token'),
    demoClientSecret: Buffer.from(derive('crossroads demo identity provider client secret')).toString(
      'base64url',
    ),
  };
}

/** A token for the forms of one session: only a page served to that session can carry it. */
export function formToken(keys: CitizenKeys, sessionIdHash: string): string {
  return createHmac('sha256', keys.formKey).update(sessionIdHash).digest('base64url');
}

export function formTokenMatches(keys: CitizenKeys, sessionIdHash: string, token: string): boolean {
  const want = Buffer.from(formToken(keys, sessionIdHash));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

// Bearer credentials: `cr.<credential id>.<secret>`. Only SHA-256(secret) is stored; the secret is
// 256 random bits, so a fast hash is enough (no password stretching needed) and keeps the hot path cheap.
import { createHash, timingSafeEqual } from 'node:crypto';
import { newId, newSecret } from '../kernel/index.ts';

const PREFIX = 'cr';

export interface IssuedCredential {
  readonly id: string;
  readonly token: string;
  readonly secretHash: string;
}

export function mintCredential(): IssuedCredential {
  const id = newId();
  const secret = newSecret();
  return { id, token: `${PREFIX}.${id}.${secret}`, secretHash: hashSecret(secret) };
}

export function splitToken(token: string): { id: string; secret: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX || !parts[1] || !parts[2]) return undefined;
  return { id: parts[1], secret: parts[2] };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

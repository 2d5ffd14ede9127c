// Identifiers the hub mints. UUIDv7 keeps them roughly time-ordered, which indexes like.
import { randomBytes, randomUUIDv7 } from 'node:crypto';

export function newId(): string {
  return randomUUIDv7();
}

/** A random secret of 32 bytes, base64url (for credentials). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

// Byte helpers shared by the hashing, note and checkpoint code. Internal: not exported from index.ts.
//
// Base64 is the standard alphabet with padding (RFC 4648 §4), as c2sp.org/signed-note and
// c2sp.org/tlog-checkpoint require.

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export function encodeBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/**
 * Decodes canonical standard base64 only, or returns undefined. `Uint8Array.fromBase64` skips
 * whitespace and tolerates odd trailing bits, so the result must re-encode to the very same text:
 * one value, one spelling, which keeps signed text unambiguous.
 */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  try {
    const bytes = Uint8Array.fromBase64(text, { lastChunkHandling: 'strict' });
    return bytes.toBase64() === text ? bytes : undefined;
  } catch {
    return undefined;
  }
}

export function readUint32BigEndian(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

export function uint32BigEndian(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

export function readUint64BigEndian(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, false);
}

export function uint64BigEndian(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value), false);
  return out;
}

/** True when the text is well-formed Unicode with no ASCII control character other than newline. */
export function isCleanNoteText(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- the control characters are exactly what we reject
  return text.isWellFormed() && !/[\u0000-\u0009\u000b-\u001f]/.test(text);
}

// Signing and verifying webhook deliveries (CloudEvents 1.0 JSON over HTTP POST) with
// HTTP Message Signatures, RFC 9421 (https://www.rfc-editor.org/rfc/rfc9421), algorithm ed25519
// (§3.3.6), over a Content-Digest, RFC 9530 (https://www.rfc-editor.org/rfc/rfc9530), sha-256.
// Signature-Input, Signature and Content-Digest are RFC 8941 Dictionaries
// (https://www.rfc-editor.org/rfc/rfc8941); the parser below covers §4.2 for those headers.
// Pure: node:crypto only, no I/O. The verifier never throws on what a sender put in a request.
import { createHash, sign, verify, type KeyObject } from 'node:crypto';

/** Stable refusal codes; receivers may `switch` on them. */
export type SignatureFailure =
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_MALFORMED'
  | 'DIGEST_MISMATCH'
  | 'KEY_UNKNOWN'
  | 'SIGNATURE_EXPIRED'
  | 'SIGNATURE_INVALID';

export type VerifyResult =
  | { readonly ok: true; readonly kid: string }
  | { readonly ok: false; readonly code: SignatureFailure; readonly reason: string };

export type SignatureRefusal = Extract<VerifyResult, { ok: false }>;

export interface SignInput {
  readonly method: string;
  readonly url: string;
  readonly contentType: string;
  readonly body: string | Uint8Array;
  readonly key: { readonly kid: string; readonly privateKey: KeyObject };
  /** Unix seconds. */
  readonly created: number;
}

// A type literal, not an interface, so it spreads into a Record of headers.
export type SignedHeaders = {
  readonly 'content-digest': string;
  readonly 'signature-input': string;
  readonly signature: string;
};

export interface VerifyInput {
  readonly method: string;
  /** The absolute URL the request was sent to. */
  readonly url: string;
  /** Header names in any case (node gives lower case); repeated fields as arrays. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The raw body bytes as received, not re-serialised JSON. */
  readonly body: string | Uint8Array;
  readonly key: (kid: string) => KeyObject | undefined;
  /** Unix seconds. */
  readonly now: number;
  readonly maxAgeSeconds?: number;
}

const LABEL = 'sig1';
const ALG = 'ed25519';
const COVERED = ['@method', '@target-uri', 'content-type', 'content-digest'] as const;
const DEFAULT_MAX_AGE_SECONDS = 300;
const FUTURE_SKEW_SECONDS = 60;

/** RFC 9530 §2: `sha-256=:<base64 of SHA-256(body)>:` */
export function contentDigest(body: string | Uint8Array): string {
  return `sha-256=:${sha256(body).toString('base64')}:`;
}

/**
 * RFC 9421 §2.5: one line per covered component, `"<name>": <value>`, then the
 * `"@signature-params"` line; lines joined by LF, no trailing LF.
 */
export function signatureBase(components: ReadonlyArray<readonly [string, string]>, params: string): string {
  return [...components, ['@signature-params', params] as const]
    .map(([name, value]) => `${serializeBare({ t: 'str', v: name })}: ${value}`)
    .join('\n');
}

export function signRequest(input: SignInput): SignedHeaders {
  const { kid, privateKey } = input.key;
  if (!/^[\x20-\x7e]*$/.test(kid)) throw new TypeError('kid must be printable ASCII (RFC 8941 String)');
  if (!Number.isSafeInteger(input.created)) throw new TypeError('created must be an integer');
  const digest = contentDigest(input.body);
  const components: ReadonlyArray<readonly [(typeof COVERED)[number], string]> = [
    ['@method', input.method],
    ['@target-uri', targetUri(input.url)],
    ['content-type', fieldValue(input.contentType)],
    ['content-digest', digest],
  ];
  if (components.some(([, value]) => /[\r\n]/.test(value))) throw new TypeError('a component contains CR/LF');
  const params = serializeInnerList({
    list: components.map(([name]) => ({ item: { t: 'str', v: name }, params: new Map() })),
    params: new Map<string, Bare>([
      ['created', { t: 'int', v: input.created }],
      ['keyid', { t: 'str', v: kid }],
      ['alg', { t: 'str', v: ALG }],
    ]),
  });
  const base = signatureBase(components, params);
  const signature = sign(null, Buffer.from(base), privateKey).toString('base64');
  return {
    'content-digest': digest,
    'signature-input': `${LABEL}=${params}`,
    signature: `${LABEL}=:${signature}:`,
  };
}

export function verifyRequest(input: VerifyInput): VerifyResult {
  try {
    return verifyOrRefuse(input);
  } catch (error) {
    // A safety net: every expected refusal is returned above; this keeps a caller's odd input from throwing.
    return refuse('SIGNATURE_MALFORMED', error instanceof Error ? error.message : 'unreadable request');
  }
}

function verifyOrRefuse(input: VerifyInput): VerifyResult {
  const headers = combineHeaders(input.headers);
  const sigInput = headers.get('signature-input');
  const sigValue = headers.get('signature');
  if (sigInput === undefined || sigValue === undefined)
    return refuse('SIGNATURE_MISSING', 'Signature and Signature-Input headers are both required');
  const sig = readSignature(sigInput, sigValue);
  if ('code' in sig) return sig;
  const uncovered = COVERED.filter((name) => !sig.components.includes(name));
  if (uncovered.length > 0)
    return refuse('SIGNATURE_INVALID', `signature does not cover ${uncovered.join(', ')}`);
  const digestRefusal = checkDigest(headers.get('content-digest'), input.body);
  if (digestRefusal) return digestRefusal;
  const timeRefusal = checkTime(sig, input.now, input.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS);
  if (timeRefusal) return timeRefusal;
  const key = lookUpKey(input.key, sig.keyid);
  if (!key) return refuse('KEY_UNKNOWN', `no Ed25519 key is known for keyid "${sig.keyid}"`);
  const values: Array<readonly [string, string]> = [];
  for (const name of sig.components) {
    const value = componentValue(name, input, headers);
    // RFC 9421 §2.5: a component that cannot be resolved is an error, not an empty line.
    if (value === undefined) return refuse('SIGNATURE_MALFORMED', `covered component ${name} is absent`);
    if (/[\r\n]/.test(value))
      return refuse('SIGNATURE_MALFORMED', `covered component ${name} contains CR/LF`);
    values.push([name, value]);
  }
  const base = Buffer.from(signatureBase(values, sig.params));
  if (!safeVerify(base, key, sig.bytes)) return refuse('SIGNATURE_INVALID', 'signature does not verify');
  return { ok: true, kid: sig.keyid };
}

interface ReadSignature {
  readonly components: readonly string[];
  /** The re-serialised inner list: the `@signature-params` value (RFC 9421 §2.3). */
  readonly params: string;
  readonly bytes: Buffer;
  readonly created: number;
  readonly expires: number | undefined;
  readonly keyid: string;
}

function readSignature(sigInput: string, sigValue: string): ReadSignature | SignatureRefusal {
  let inputs: Dictionary, values: Dictionary;
  try {
    inputs = parseDictionary(sigInput);
    values = parseDictionary(sigValue);
  } catch (error) {
    return refuse('SIGNATURE_MALFORMED', `not an RFC 8941 dictionary: ${(error as Error).message}`);
  }
  // The hub signs as sig1; a request from another signer is read by its first label.
  const label = inputs.has(LABEL) ? LABEL : inputs.keys().next().value;
  const member = label === undefined ? undefined : inputs.get(label);
  const value = label === undefined ? undefined : values.get(label);
  if (!member || !('list' in member))
    return refuse('SIGNATURE_MALFORMED', 'Signature-Input has no inner list');
  if (!value || 'list' in value || value.item.t !== 'bin')
    return refuse('SIGNATURE_MALFORMED', `Signature has no byte sequence labelled ${label}`);
  const components = member.list.map((c) => (c.item.t === 'str' && c.params.size === 0 ? c.item.v : ''));
  if (components.some((c) => c === '' || !/^(@[a-z-]+|[!#$%&'*+.^_`|~0-9a-z-]+)$/.test(c)))
    return refuse('SIGNATURE_MALFORMED', 'covered components must be plain lower-case strings');
  if (new Set(components).size !== components.length)
    return refuse('SIGNATURE_MALFORMED', 'a component is covered twice');
  const [created, expires, keyid, alg] = ['created', 'expires', 'keyid', 'alg'].map((k) =>
    member.params.get(k),
  );
  if (created?.t !== 'int') return refuse('SIGNATURE_MALFORMED', 'created must be an integer');
  if (expires && expires.t !== 'int') return refuse('SIGNATURE_MALFORMED', 'expires must be an integer');
  if (keyid?.t !== 'str') return refuse('SIGNATURE_MALFORMED', 'keyid must be a string');
  if (alg && (alg.t !== 'str' || alg.v !== ALG)) return refuse('SIGNATURE_INVALID', `alg must be "${ALG}"`);
  return {
    components,
    params: serializeInnerList(member),
    bytes: value.item.v,
    created: created.v,
    expires: expires?.t === 'int' ? expires.v : undefined,
    keyid: keyid.v,
  };
}

function checkDigest(header: string | undefined, body: string | Uint8Array): SignatureRefusal | undefined {
  if (header === undefined) return refuse('DIGEST_MISMATCH', 'Content-Digest header is absent');
  let member: Member | undefined;
  try {
    member = parseDictionary(header).get('sha-256');
  } catch (error) {
    return refuse('SIGNATURE_MALFORMED', `Content-Digest: ${(error as Error).message}`);
  }
  if (!member || 'list' in member || member.item.t !== 'bin')
    return refuse('DIGEST_MISMATCH', 'Content-Digest has no sha-256 byte sequence');
  if (!member.item.v.equals(sha256(body)))
    return refuse('DIGEST_MISMATCH', 'Content-Digest does not match the body');
  return undefined;
}

function checkTime(sig: ReadSignature, now: number, maxAge: number): SignatureRefusal | undefined {
  const age = now - sig.created;
  // Written as !(a <= b) so that a NaN `now` or `maxAge` refuses rather than passes.
  if (!(age <= maxAge)) return refuse('SIGNATURE_EXPIRED', `created ${age} s ago, more than ${maxAge} s`);
  if (!(-age <= FUTURE_SKEW_SECONDS)) return refuse('SIGNATURE_EXPIRED', `created ${-age} s in the future`);
  if (sig.expires !== undefined && !(now <= sig.expires))
    return refuse('SIGNATURE_EXPIRED', 'past its expires');
  return undefined;
}

function lookUpKey(lookUp: VerifyInput['key'], kid: string): KeyObject | undefined {
  try {
    const key = lookUp(kid);
    // RFC 9421 §3.2: the verifier must check that the key suits the algorithm.
    return key?.asymmetricKeyType === 'ed25519' ? key : undefined;
  } catch {
    return undefined;
  }
}

function safeVerify(base: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verify(null, base, key, signature);
  } catch {
    return false;
  }
}

function componentValue(name: string, input: VerifyInput, headers: Map<string, string>): string | undefined {
  if (name === '@method') return input.method; // RFC 9421 §2.2.1: case-sensitive, as sent.
  if (name === '@target-uri') return targetUri(input.url);
  if (name.startsWith('@')) return undefined; // other derived components are not used by the hub
  return headers.get(name);
}

/** RFC 9421 §2.2.2: the full target URI; normalised as WHATWG URL (what fetch sends), no fragment. */
function targetUri(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  return parsed.href;
}

/** RFC 9421 §2.1: trim each field line, join repeated lines with ", "; names are case-insensitive. */
function combineHeaders(headers: VerifyInput['headers']): Map<string, string> {
  const combined = new Map<string, string>();
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = (typeof raw === 'string' ? [raw] : raw).map(fieldValue).join(', ');
    const key = name.toLowerCase();
    const earlier = combined.get(key);
    combined.set(key, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  return combined;
}

function fieldValue(value: string): string {
  return String(value).replace(/^[ \t]+|[ \t]+$/g, '');
}

function sha256(body: string | Uint8Array): Buffer {
  return createHash('sha256').update(body).digest();
}

function refuse(code: SignatureFailure, reason: string): SignatureRefusal {
  return { ok: false, code, reason };
}

// RFC 8941 structured fields: the Dictionary, Inner List, Parameters and Bare Item types.
type Bare =
  | { readonly t: 'int' | 'dec'; readonly v: number }
  | { readonly t: 'str' | 'tok'; readonly v: string }
  | { readonly t: 'bin'; readonly v: Buffer }
  | { readonly t: 'bool'; readonly v: boolean };
type Params = Map<string, Bare>;
interface Item {
  readonly item: Bare;
  readonly params: Params;
}
interface InnerList {
  readonly list: readonly Item[];
  readonly params: Params;
}
type Member = Item | InnerList;
type Dictionary = Map<string, Member>;

const KEY = /[a-z*][a-z0-9_.*-]*/y;
const NUMBER = /(-?)(\d{1,12}\.\d{1,3}|\d{1,15})(?![\d.])/y;
const STRING = /"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"/y;
const TOKEN = /[A-Za-z*][!#$%&'*+.^_`|~0-9A-Za-z:/-]*/y;
const BYTES = /:([A-Za-z0-9+/]*={0,2}):/y;
const BOOLEAN = /\?([01])/y;

/** RFC 8941 §4.2.2, throwing SyntaxError on anything else. */
function parseDictionary(field: string): Dictionary {
  const s = field.replace(/^ +| +$/g, ''); // §4.2: discard leading and trailing SP
  let i = 0;
  const take = (re: RegExp): RegExpExecArray => {
    re.lastIndex = i;
    const match = re.exec(s);
    if (!match) throw new SyntaxError(`unexpected ${JSON.stringify(s.slice(i, i + 8))} at ${i}`);
    i = re.lastIndex;
    return match;
  };
  const bare = (): Bare => {
    const c = s[i] ?? '';
    if (c === '"') return { t: 'str', v: (take(STRING)[1] ?? '').replace(/\\(["\\])/g, '$1') };
    if (c === ':') return { t: 'bin', v: Buffer.from(take(BYTES)[1] ?? '', 'base64') };
    if (c === '?') return { t: 'bool', v: take(BOOLEAN)[1] === '1' };
    if (/[A-Za-z*]/.test(c)) return { t: 'tok', v: take(TOKEN)[0] };
    const text = take(NUMBER)[0];
    return { t: text.includes('.') ? 'dec' : 'int', v: Number(text) };
  };
  const params = (): Params => {
    const out: Params = new Map();
    while (s[i] === ';') {
      i++;
      while (s[i] === ' ') i++;
      const key = take(KEY)[0];
      out.set(key, s[i] === '=' ? (i++, bare()) : { t: 'bool', v: true });
    }
    return out;
  };
  const member = (): Member => {
    if (s[i] !== '(') return { item: bare(), params: params() };
    i++;
    const list: Item[] = [];
    for (;;) {
      while (s[i] === ' ') i++;
      if (s[i] === ')') return (i++, { list, params: params() });
      list.push({ item: bare(), params: params() });
      if (s[i] !== ' ' && s[i] !== ')') throw new SyntaxError(`inner list: unexpected character at ${i}`);
    }
  };
  const dictionary: Dictionary = new Map();
  while (i < s.length) {
    const key = take(KEY)[0];
    dictionary.set(key, s[i] === '=' ? (i++, member()) : { item: { t: 'bool', v: true }, params: params() });
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i === s.length) break;
    if (s[i++] !== ',') throw new SyntaxError(`expected "," at ${i - 1}`);
    while (s[i] === ' ' || s[i] === '\t') i++;
    if (i === s.length) throw new SyntaxError('trailing comma');
  }
  return dictionary;
}

/** RFC 8941 §4.1: the canonical serialisation, which RFC 9421 §2.3 signs. */
function serializeInnerList(list: InnerList): string {
  return `(${list.list.map((it) => serializeBare(it.item) + serializeParams(it.params)).join(' ')})${serializeParams(list.params)}`;
}

function serializeParams(params: Params): string {
  return [...params]
    .map(([k, v]) => (v.t === 'bool' && v.v ? `;${k}` : `;${k}=${serializeBare(v)}`))
    .join('');
}

function serializeBare(b: Bare): string {
  switch (b.t) {
    case 'int':
      return String(b.v);
    case 'dec': {
      const fixed = b.v.toFixed(3).replace(/0+$/, ''); // §4.1.5: at most 3, at least 1 fractional digit
      return fixed.endsWith('.') ? `${fixed}0` : fixed;
    }
    case 'str':
      return `"${b.v.replace(/[\\"]/g, '\\$&')}"`;
    case 'tok':
      return b.v;
    case 'bin':
      return `:${b.v.toString('base64')}:`;
    case 'bool':
      return b.v ? '?1' : '?0';
  }
}

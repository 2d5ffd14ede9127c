// Webhook delivery signatures: RFC 9421 (HTTP Message Signatures, ed25519) over an RFC 9530
// Content-Digest, with the RFCs' own test vectors, every refusal code, and the delivery key.
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { calculateJwkThumbprint } from 'jose';
import { jwkThumbprint, loadOrCreateDeliveryKey, publicJwks } from '../../src/mutations/delivery-key.ts';
import {
  contentDigest,
  signatureBase,
  signRequest,
  verifyRequest,
  type SignatureFailure,
  type VerifyInput,
  type VerifyResult,
} from '../../src/mutations/signature.ts';

const HUB = generateKeyPairSync('ed25519');
const OTHER = generateKeyPairSync('ed25519');
const KID = 'hub-key-1';
const NOW = 1_750_000_000;
const URL_ = 'https://inst.example/hooks/crossroads?tenant=7';
const BODY = '{"specversion":"1.0","id":"42","type":"be.crossroads.change","source":"/hub"}';
const CE_TYPE = 'application/cloudevents+json';

function signed(overrides: Partial<Parameters<typeof signRequest>[0]> = {}) {
  return signRequest({
    method: 'POST',
    url: URL_,
    contentType: CE_TYPE,
    body: BODY,
    key: { kid: KID, privateKey: HUB.privateKey },
    created: NOW,
    ...overrides,
  });
}

function check(overrides: Partial<VerifyInput> = {}, headers: VerifyInput['headers'] = {}) {
  return verifyRequest({
    method: 'POST',
    url: URL_,
    headers: { 'content-type': CE_TYPE, ...signed(), ...headers },
    body: BODY,
    key: (kid) => (kid === KID ? HUB.publicKey : undefined),
    now: NOW,
    ...overrides,
  });
}

test('RFC 9530 §2 example: content-digest of {"hello": "world"}', () => {
  const want = 'sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:';
  assert.equal(contentDigest('{"hello": "world"}'), want);
  assert.equal(contentDigest(new TextEncoder().encode('{"hello": "world"}')), want);
});

test('signRequest covers exactly the four components, with created, keyid and alg', () => {
  const headers = signed();
  assert.equal(
    headers['signature-input'],
    `sig1=("@method" "@target-uri" "content-type" "content-digest");created=${NOW};keyid="${KID}";alg="ed25519"`,
  );
  assert.match(headers.signature, /^sig1=:[A-Za-z0-9+/]{86}==:$/);
  assert.equal(headers['content-digest'], contentDigest(BODY));
});

test('the signature is over the RFC 9421 §2.5 base, built here independently', () => {
  const headers = signed();
  const params = headers['signature-input'].slice('sig1='.length);
  const base = [
    '"@method": POST',
    `"@target-uri": ${URL_}`,
    `"content-type": ${CE_TYPE}`,
    `"content-digest": ${contentDigest(BODY)}`,
    `"@signature-params": ${params}`,
  ].join('\n');
  const signature = Buffer.from(headers.signature.slice('sig1=:'.length, -1), 'base64');
  assert.ok(verify(null, Buffer.from(base), HUB.publicKey, signature));
  assert.equal(
    signatureBase(
      [
        ['@method', 'POST'],
        ['@target-uri', URL_],
        ['content-type', CE_TYPE],
        ['content-digest', contentDigest(BODY)],
      ],
      params,
    ),
    base,
  );
});

test('round trip: a signed request verifies and names its key', () => {
  assert.deepEqual(check(), { ok: true, kid: KID });
  // Binary bodies, header arrays and any header-name case as a receiver's framework may give them.
  const body = new Uint8Array([0, 1, 2, 255]);
  const headers = signed({ body });
  assert.deepEqual(
    verifyRequest({
      method: 'POST',
      url: URL_,
      headers: {
        'Content-Type': [CE_TYPE],
        'Signature-Input': headers['signature-input'],
        SIGNATURE: [headers.signature],
        'content-digest': ` ${headers['content-digest']} `,
      },
      body,
      key: () => HUB.publicKey,
      now: NOW,
    }),
    { ok: true, kid: KID },
  );
});

test('property: any body, method and created signs and verifies', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.uint8Array()),
      fc.constantFrom('POST', 'PUT', 'PATCH'),
      fc.integer({ min: 0, max: 4_000_000_000 }),
      (body, method, created) => {
        const headers = signed({ body, method, created });
        const result = verifyRequest({
          method,
          url: URL_,
          headers: { 'content-type': CE_TYPE, ...headers },
          body,
          key: () => HUB.publicKey,
          now: created,
        });
        assert.deepEqual(result, { ok: true, kid: KID });
      },
    ),
  );
});

const REFUSALS: ReadonlyArray<{
  name: string;
  overrides?: Partial<VerifyInput>;
  headers?: VerifyInput['headers'];
  want: SignatureFailure;
}> = [
  { name: 'tampered body', overrides: { body: BODY.replace('42', '43') }, want: 'DIGEST_MISMATCH' },
  {
    name: 'tampered body with a recomputed Content-Digest',
    overrides: { body: '{}' },
    headers: { 'content-digest': contentDigest('{}') },
    want: 'SIGNATURE_INVALID',
  },
  { name: 'Content-Digest absent', headers: { 'content-digest': undefined }, want: 'DIGEST_MISMATCH' },
  {
    name: 'Content-Digest sha-512 only',
    headers: { 'content-digest': 'sha-512=:AAAA:' },
    want: 'DIGEST_MISMATCH',
  },
  {
    name: 'Content-Digest unparsable',
    headers: { 'content-digest': 'sha-256=:X48E9q' },
    want: 'SIGNATURE_MALFORMED',
  },
  {
    name: 'tampered URL',
    overrides: { url: 'https://inst.example/hooks/crossroads?tenant=8' },
    want: 'SIGNATURE_INVALID',
  },
  { name: 'tampered method', overrides: { method: 'PUT' }, want: 'SIGNATURE_INVALID' },
  {
    name: 'lower-case method (RFC 9421 §2.2.1: case-sensitive)',
    overrides: { method: 'post' },
    want: 'SIGNATURE_INVALID',
  },
  {
    name: 'tampered content-type',
    headers: { 'content-type': 'application/json' },
    want: 'SIGNATURE_INVALID',
  },
  { name: 'content-type absent', headers: { 'content-type': undefined }, want: 'SIGNATURE_MALFORMED' },
  { name: 'wrong key for the kid', overrides: { key: () => OTHER.publicKey }, want: 'SIGNATURE_INVALID' },
  { name: 'unknown kid', overrides: { key: () => undefined }, want: 'KEY_UNKNOWN' },
  {
    name: 'key lookup throws',
    overrides: {
      key: () => {
        throw new Error('store down');
      },
    },
    want: 'KEY_UNKNOWN',
  },
  {
    name: 'key is not Ed25519',
    overrides: { key: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey },
    want: 'KEY_UNKNOWN',
  },
  { name: 'created 301 s ago', overrides: { now: NOW + 301 }, want: 'SIGNATURE_EXPIRED' },
  {
    name: 'created 11 s ago, max age 10',
    overrides: { now: NOW + 11, maxAgeSeconds: 10 },
    want: 'SIGNATURE_EXPIRED',
  },
  { name: 'created 61 s in the future', overrides: { now: NOW - 61 }, want: 'SIGNATURE_EXPIRED' },
  { name: 'now is NaN', overrides: { now: Number.NaN }, want: 'SIGNATURE_EXPIRED' },
  { name: 'Signature absent', headers: { signature: undefined }, want: 'SIGNATURE_MISSING' },
  { name: 'Signature-Input absent', headers: { 'signature-input': undefined }, want: 'SIGNATURE_MISSING' },
  {
    name: 'content-digest not covered',
    headers: {
      'signature-input': `sig1=("@method" "@target-uri" "content-type");created=${NOW};keyid="${KID}"`,
    },
    want: 'SIGNATURE_INVALID',
  },
  {
    name: 'another alg',
    headers: { 'signature-input': signed()['signature-input'].replace('ed25519', 'rsa-pss-sha512') },
    want: 'SIGNATURE_INVALID',
  },
  {
    name: 'created is a string',
    headers: { 'signature-input': signed()['signature-input'].replace(`created=${NOW}`, `created="${NOW}"`) },
    want: 'SIGNATURE_MALFORMED',
  },
  {
    name: 'keyid missing',
    headers: { 'signature-input': signed()['signature-input'].replace(`;keyid="${KID}"`, '') },
    want: 'SIGNATURE_MALFORMED',
  },
  {
    name: 'a component covered twice',
    headers: { 'signature-input': signed()['signature-input'].replace('("@method"', '("@method" "@method"') },
    want: 'SIGNATURE_MALFORMED',
  },
  {
    name: 'labels do not match',
    headers: { signature: signed().signature.replace('sig1=', 'sig2=') },
    want: 'SIGNATURE_MALFORMED',
  },
  {
    name: 'Signature is a string, not bytes',
    headers: { signature: 'sig1="abc"' },
    want: 'SIGNATURE_MALFORMED',
  },
  { name: 'signature bytes truncated', headers: { signature: 'sig1=:AAAA:' }, want: 'SIGNATURE_INVALID' },
];

function codeOf(result: VerifyResult): SignatureFailure | 'ok' {
  return result.ok ? 'ok' : result.code;
}

for (const { name, overrides, headers, want } of REFUSALS) {
  test(`refuses: ${name} → ${want}`, () => {
    const result = check(overrides, headers);
    assert.equal(codeOf(result), want, result.ok ? 'accepted' : result.reason);
  });
}

test('accepts the edges of the time window: 300 s old, 60 s ahead', () => {
  assert.equal(check({ now: NOW + 300 }).ok, true);
  assert.equal(check({ now: NOW - 60 }).ok, true);
});

test('expires, when a signer sets it, is enforced', () => {
  const params = `("@method" "@target-uri" "content-type" "content-digest");created=${NOW};expires=${NOW + 5};keyid="k"`;
  const headers = independentlySigned('sig1', params, HUB.privateKey);
  const at = (now: number) => codeOf(check({ now, key: () => HUB.publicKey }, headers));
  assert.equal(at(NOW + 5), 'ok');
  assert.equal(at(NOW + 6), 'SIGNATURE_EXPIRED');
});

/** Sign a request for BODY with any Signature-Input, building the base by hand as RFC 9421 §2.5 says. */
function independentlySigned(label: string, params: string, privateKey: KeyObject) {
  const base = [
    `"@method": POST`,
    `"@target-uri": ${URL_}`,
    `"content-type": ${CE_TYPE}`,
    `"content-digest": ${contentDigest(BODY)}`,
    `"@signature-params": ${params}`,
  ].join('\n');
  return {
    'signature-input': `${label}=${params}`,
    signature: `${label}=:${sign(null, Buffer.from(base), privateKey).toString('base64')}:`,
  };
}

test('reads Signature-Input as RFC 8941: other labels, tokens, booleans, extra parameters', () => {
  const params = `("@method" "@target-uri" "content-type" "content-digest");created=${NOW};keyid="k\\"1";nonce="n-1";tag=hook;x=?0;y;z=1.5`;
  const { 'signature-input': input, signature } = independentlySigned('webhook', params, HUB.privateKey);
  const result = check(
    { key: (kid) => (kid === 'k"1' ? HUB.publicKey : undefined) },
    // Extra members (another signer's) before ours, and optional whitespace around commas.
    {
      'signature-input': `other=("@method");created=1;keyid="x" ,  ${input}`,
      signature: `other=:AAAA:, ${signature}`,
    },
  );
  assert.equal(result.ok, false, 'the first label is read when there is no sig1');
  const ours = check(
    { key: (kid) => (kid === 'k"1' ? HUB.publicKey : undefined) },
    { 'signature-input': input, signature },
  );
  assert.deepEqual(ours, { ok: true, kid: 'k"1' });
  // sig1 is preferred when several are present.
  const hub = signed();
  assert.deepEqual(
    check(
      {},
      {
        'signature-input': `${input}, ${hub['signature-input']}`,
        signature: `${signature}, ${hub.signature}`,
      },
    ),
    { ok: true, kid: KID },
  );
});

test('garbage headers never throw', () => {
  const garbage = [
    '',
    ' ',
    'sig1',
    'sig1=',
    'sig1=(',
    'sig1=(("a"))',
    'sig1=("@method"',
    'sig1=:::',
    'sig1=:not base64!:',
    'SIG1=("a")',
    'sig1=("a");created=99999999999999999',
    'sig1=("a"),',
    'sig1=?2',
    'sig1=\u00e9',
    'sig1=("@method" "@target-uri" "content-type" "content-digest";sf);created=1;keyid="k"',
    'sig1=("@method" "@target-uri" "content-type" "content-digest" "@path");created=1;keyid="k"',
    'sig1=("@method" "@target-uri" "content-type" "content-digest" "Date");created=1;keyid="k"',
    '\r\n',
    '('.repeat(10_000),
    ';'.repeat(10_000),
  ];
  for (const value of garbage) {
    for (const name of ['signature', 'signature-input', 'content-digest', 'content-type']) {
      const result = check({}, { [name]: value });
      assert.equal(result.ok, false, `${name}: ${JSON.stringify(value.slice(0, 40))}`);
    }
  }
  // A header value that is not a string at all (a JavaScript caller's mistake).
  assert.equal(check({}, { 'content-type': 7 as unknown as string }).ok, false);
  assert.equal(check({ url: 'not a url' }).ok, false);
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (input, signature, digest) => {
      const result = check({}, { 'signature-input': input, signature, 'content-digest': digest });
      assert.equal(result.ok, false);
    }),
  );
});

test('a header value with CR or LF cannot inject a line into the base', () => {
  assert.equal(codeOf(check({}, { 'content-type': `${CE_TYPE}\n"@method": PUT` })), 'SIGNATURE_MALFORMED');
});

// RFC 9421 Appendix B.1.4 key `test-key-ed25519` and Appendix B.2.6 request and signature. The
// RFC covers date, @path, @authority and content-length, which the hub never signs, so the base is
// checked through signatureBase and crypto, and verifyRequest must read (not throw on) the headers.
const RFC_KEY = createPrivateKey(
  '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n',
);
const RFC_PUBLIC_X = 'JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs';
const RFC_PARAMS =
  '("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"';
const RFC_SIGNATURE =
  'wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==';

test('RFC 9421 B.2.6: ed25519 signature base and signature', () => {
  assert.equal(createPublicKey(RFC_KEY).export({ format: 'jwk' }).x, RFC_PUBLIC_X);
  const base = signatureBase(
    [
      ['date', 'Tue, 20 Apr 2021 02:07:55 GMT'],
      ['@method', 'POST'],
      ['@path', '/foo'],
      ['@authority', 'example.com'],
      ['content-type', 'application/json'],
      ['content-length', '18'],
    ],
    RFC_PARAMS,
  );
  assert.equal(
    base,
    '"date": Tue, 20 Apr 2021 02:07:55 GMT\n"@method": POST\n"@path": /foo\n"@authority": example.com\n' +
      '"content-type": application/json\n"content-length": 18\n"@signature-params": ' +
      RFC_PARAMS,
  );
  // Ed25519 is deterministic (RFC 8032), so signing the base must give the RFC's bytes exactly.
  assert.equal(sign(null, Buffer.from(base), RFC_KEY).toString('base64'), RFC_SIGNATURE);
  assert.ok(verify(null, Buffer.from(base), createPublicKey(RFC_KEY), Buffer.from(RFC_SIGNATURE, 'base64')));
  const result = verifyRequest({
    method: 'POST',
    url: 'https://example.com/foo?param=Value&Pet=dog',
    headers: {
      date: 'Tue, 20 Apr 2021 02:07:55 GMT',
      'content-type': 'application/json',
      'content-digest':
        'sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:',
      'content-length': '18',
      'signature-input': `sig-b26=${RFC_PARAMS}`,
      signature: `sig-b26=:${RFC_SIGNATURE}:`,
    },
    body: '{"hello": "world"}',
    key: (kid) => (kid === 'test-key-ed25519' ? createPublicKey(RFC_KEY) : undefined),
    now: 1618884473,
  });
  assert.deepEqual(result, {
    ok: false,
    code: 'SIGNATURE_INVALID',
    reason: 'signature does not cover @target-uri, content-digest',
  });
});

test('delivery key: created once (PKCS#8, 0600, parent made), then read back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'crossroads-delivery-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'keys', 'nested', 'delivery.pem');
  const first = loadOrCreateDeliveryKey(path);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const again = loadOrCreateDeliveryKey(path);
  assert.equal(again.kid, first.kid);
  assert.deepEqual(again.jwk, first.jwk);
  assert.equal(first.privateKey.asymmetricKeyType, 'ed25519');
  // kid is the RFC 7638 thumbprint, as jose computes it.
  assert.equal(
    first.kid,
    await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: first.jwk.x }, 'sha256'),
  );
  assert.deepEqual(Object.keys(first.jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
  const jwks = publicJwks(first);
  assert.deepEqual(jwks, { keys: [first.jwk] });
  // A receiver that only has the published JWK Set verifies the hub's deliveries.
  const published = createPublicKey({ key: { ...jwks.keys[0] }, format: 'jwk' });
  const headers = signed({ key: first });
  const result = check({ key: (kid) => (kid === jwks.keys[0].kid ? published : undefined) }, headers);
  assert.deepEqual(result, { ok: true, kid: first.kid });
});

test('delivery key: thumbprint agrees with jose on the RFC test key; a non-Ed25519 file is refused', async (t) => {
  assert.equal(
    jwkThumbprint(RFC_PUBLIC_X),
    await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: RFC_PUBLIC_X }, 'sha256'),
  );
  const dir = mkdtempSync(join(tmpdir(), 'crossroads-delivery-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'ec.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  assert.throws(() => loadOrCreateDeliveryKey(path), /CONFIG_INVALID/);
});

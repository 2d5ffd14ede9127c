// Checkpoints (c2sp.org/tlog-checkpoint), signed notes (c2sp.org/signed-note) and Ed25519
// cosignatures (c2sp.org/tlog-cosignature), including known answers from other implementations.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, generateKeyPairSync, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  cosignatureTime,
  createCosigner,
  createNoteSigner,
  formatCheckpoint,
  MerkleError,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  verifierKeyString,
} from '../../src/log/index.ts';
import type { Checkpoint, MerkleErrorCode } from '../../src/log/index.ts';

const ROOT = new Uint8Array(32).map((_, i) => i);
const ROOT_B64 = ROOT.toBase64();
const CHECKPOINT: Checkpoint = { origin: 'crossroads.example/log', size: 20852163, rootHash: ROOT };
const CHECKPOINT_TEXT = `crossroads.example/log\n20852163\n${ROOT_B64}\n`;

function throwsCode(code: MerkleErrorCode, f: () => unknown): void {
  assert.throws(f, (error) => error instanceof MerkleError && error.code === code);
}

function ed25519(): KeyObject {
  return generateKeyPairSync('ed25519').privateKey;
}

/** Replaces the first occurrence of `from`, failing loudly if it is not there. */
function replaceOnce(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `"${from}" not in text`);
  return text.replace(from, to);
}

// ---- Checkpoint bodies ----

test('formatCheckpoint writes origin, decimal size and base64 root, one per line', () => {
  assert.equal(formatCheckpoint(CHECKPOINT), CHECKPOINT_TEXT);
  assert.equal(
    formatCheckpoint({ ...CHECKPOINT, size: 0, extensions: ['x y'] }),
    `${replaceOnce(CHECKPOINT_TEXT, '20852163', '0')}x y\n`,
  );
});

test('parseCheckpoint reverses formatCheckpoint', () => {
  const line = fc.string({ minLength: 1, unit: 'grapheme' }).filter((s) => [...s].every((c) => c >= ' '));
  fc.assert(
    fc.property(
      line,
      fc.nat({ max: Number.MAX_SAFE_INTEGER }),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.array(line, { maxLength: 3 }),
      (origin, size, rootHash, extensions) => {
        const checkpoint = { origin, size, rootHash, extensions };
        assert.deepEqual(parseCheckpoint(formatCheckpoint(checkpoint)), checkpoint);
      },
    ),
  );
});

test('parseCheckpoint rejects malformed bodies', () => {
  const cases: [string, string][] = [
    ['missing final newline', CHECKPOINT_TEXT.slice(0, -1)],
    ['fewer than three lines', 'crossroads.example/log\n20852163\n'],
    ['empty origin', `\n1\n${ROOT_B64}\n`],
    ['hexadecimal size', `o\n0x10\n${ROOT_B64}\n`],
    ['negative size', `o\n-1\n${ROOT_B64}\n`],
    ['exponent size', `o\n1e3\n${ROOT_B64}\n`],
    ['size with a space', `o\n 1\n${ROOT_B64}\n`],
    ['leading zero', `o\n01\n${ROOT_B64}\n`],
    ['size past 2^53 - 1', `o\n9007199254740993\n${ROOT_B64}\n`],
    ['root not base64', `o\n1\n${ROOT_B64.replace('A', '!')}\n`],
    ['root without padding', `o\n1\n${ROOT_B64.replace('=', '')}\n`],
    ['root in base64url', `o\n1\n${new Uint8Array(32).fill(0xfb).toBase64({ alphabet: 'base64url' })}\n`],
    ['root with a space', `o\n1\n ${ROOT_B64}\n`],
    ['31-byte root', `o\n1\n${ROOT.subarray(1).toBase64()}\n`],
    ['33-byte root', `o\n1\n${new Uint8Array(33).toBase64()}\n`],
    ['empty extension line', `${CHECKPOINT_TEXT}\n`],
    ['control character', `o\t\n1\n${ROOT_B64}\n`],
    ['carriage return', `o\n1\r\n${ROOT_B64}\n`],
  ];
  for (const [description, text] of cases) {
    assert.throws(
      () => parseCheckpoint(text),
      (e) => e instanceof MerkleError && e.code === 'CHECKPOINT_MALFORMED',
      description,
    );
  }
});

test('formatCheckpoint rejects fields it cannot write', () => {
  throwsCode('CHECKPOINT_MALFORMED', () => formatCheckpoint({ ...CHECKPOINT, origin: '' }));
  throwsCode('CHECKPOINT_MALFORMED', () => formatCheckpoint({ ...CHECKPOINT, origin: 'a\nb' }));
  throwsCode('CHECKPOINT_MALFORMED', () => formatCheckpoint({ ...CHECKPOINT, size: -1 }));
  throwsCode('CHECKPOINT_MALFORMED', () => formatCheckpoint({ ...CHECKPOINT, rootHash: new Uint8Array(31) }));
  throwsCode('CHECKPOINT_MALFORMED', () => formatCheckpoint({ ...CHECKPOINT, extensions: [''] }));
});

// ---- Signed notes ----

// golang.org/x/mod/sumdb/note, the reference implementation: its documented example key and note.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_SEED = 'AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz'; // 0x01 || 32-byte seed
const PETER_TEXT =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const PETER_NOTE = `${PETER_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

function ed25519FromSeed(seed: Uint8Array): KeyObject {
  const pkcs8Prefix = Uint8Array.fromHex('302e020100300506032b657004220420');
  return createPrivateKey({ key: Buffer.concat([pkcs8Prefix, seed]), format: 'der', type: 'pkcs8' });
}

test('signing reproduces the Go reference note byte for byte', () => {
  const key = ed25519FromSeed(Uint8Array.fromBase64(PETER_SEED).subarray(1));
  assert.equal(verifierKeyString('PeterNeumann', key), PETER_VKEY);
  assert.equal(signNote(PETER_TEXT, createNoteSigner('PeterNeumann', key)), PETER_NOTE);
  const opened = openNote(PETER_NOTE, [parseVerifierKey(PETER_VKEY)]);
  assert.equal(opened.text, PETER_TEXT);
  assert.deepEqual(
    opened.verified.map((s) => [s.name, s.keyId, s.type]),
    [['PeterNeumann', 0xc74f20a3, 'ed25519']],
  );
});

test('the key ID is SHA-256(name || 0x0A || type || public key)[:4]', () => {
  const key = ed25519();
  const publicKey = key.export({ format: 'jwk' }).x ?? '';
  const handMade = (type: number): string =>
    createHash('sha256')
      .update(
        Buffer.concat([
          Buffer.from('witness.example/w1\n'),
          Buffer.from([type]),
          Buffer.from(publicKey, 'base64url'),
        ]),
      )
      .digest('hex')
      .slice(0, 8);
  assert.equal(verifierKeyString('witness.example/w1', key).split('+')[1], handMade(0x01));
  assert.equal(verifierKeyString('witness.example/w1', key, 'cosignature/v1').split('+')[1], handMade(0x04));
  assert.equal(
    parseVerifierKey(verifierKeyString('witness.example/w1', key)).keyId,
    parseInt(handMade(0x01), 16),
  );
});

test('a signed checkpoint opens to the same checkpoint', () => {
  const key = ed25519();
  const note = signNote(formatCheckpoint(CHECKPOINT), createNoteSigner(CHECKPOINT.origin, key));
  assert.match(note, /\n\n— crossroads\.example\/log [A-Za-z0-9+/]{91}=\n$/);
  const opened = openNote(note, [parseVerifierKey(verifierKeyString(CHECKPOINT.origin, key))]);
  assert.deepEqual(parseCheckpoint(opened.text), { ...CHECKPOINT, extensions: [] });
});

test('a tampered note or signature is rejected', () => {
  const key = ed25519();
  const verifier = parseVerifierKey(verifierKeyString('log', key));
  const note = signNote(CHECKPOINT_TEXT, createNoteSigner('log', key));
  throwsCode('SIGNATURE_INVALID', () => openNote(replaceOnce(note, '20852163', '20852164'), [verifier]));
  const signature = note.slice(note.lastIndexOf(' ') + 1, -1);
  const flipped = Uint8Array.fromBase64(signature);
  flipped[10] = (flipped[10] ?? 0) ^ 1;
  throwsCode('SIGNATURE_INVALID', () =>
    openNote(replaceOnce(note, signature, flipped.toBase64()), [verifier]),
  );
});

test('signatures from unknown keys are ignored, and a note needs one known signature', () => {
  const [log, stranger, impostor] = [ed25519(), ed25519(), ed25519()];
  const logVerifier = parseVerifierKey(verifierKeyString('log', log));
  // Same name as the log but another key, hence another key ID: "MUST ignore".
  const note = signNote(CHECKPOINT_TEXT, [
    createNoteSigner('stranger', stranger),
    createNoteSigner('log', impostor),
    createNoteSigner('log', log),
  ]);
  assert.deepEqual(
    openNote(note, [logVerifier]).verified.map((s) => s.name),
    ['log'],
  );
  throwsCode('NOTE_UNVERIFIED', () => openNote(note, [parseVerifierKey(verifierKeyString('other', log))]));
  throwsCode('NOTE_UNVERIFIED', () => openNote(note, []));
});

test('openNote rejects malformed notes', () => {
  const key = ed25519();
  const verifier = parseVerifierKey(verifierKeyString('log', key));
  const note = signNote(CHECKPOINT_TEXT, createNoteSigner('log', key));
  const line = note.slice(note.lastIndexOf('\n\n') + 2);
  const cases: [string, string][] = [
    ['no blank line', note.replace('\n\n', '\n')],
    ['no final newline', note.slice(0, -1)],
    ['hyphen instead of em dash', note.replace('— ', '- ')],
    ['no space after the name', note.replace('— log ', '— log')],
    ['two spaces after the name', note.replace('— log ', '— log  ')],
    ['signature not base64', note.replace(/=\n$/, '!\n')],
    ['signature of 4 bytes', `${CHECKPOINT_TEXT}\n— log AAAAAA==\n`],
    ['name with a plus', note.replace('— log ', '— l+g ')],
    ['control character', note.replace('crossroads', 'cross\u0007roads')],
    ['no signature line', `${CHECKPOINT_TEXT}\n`],
    ['101 signatures', `${CHECKPOINT_TEXT}\n${line.repeat(101)}`],
  ];
  for (const [description, text] of cases) {
    assert.throws(
      () => openNote(text, [verifier]),
      (e) => e instanceof MerkleError && e.code === 'NOTE_MALFORMED',
      description,
    );
  }
  throwsCode('NOTE_MALFORMED', () => signNote('no final newline', createNoteSigner('log', key)));
  throwsCode('KEY_MALFORMED', () => createNoteSigner('two words', key));
});

test('parseVerifierKey rejects defective key strings', () => {
  const vkey = verifierKeyString('log', ed25519());
  const [name = '', id = '', ...rest] = vkey.split('+');
  const material = rest.join('+'); // base64 may itself contain '+'
  for (const bad of [
    `${name}+${id.replace(/./, (c) => (c === '0' ? '1' : '0'))}+${material}`,
    `${name}+${id.slice(1)}+${material}`,
    `${name}+${id}+${material.slice(0, -4)}`,
    `${name}+${id}+${Uint8Array.fromBase64(material).with(0, 0x02).toBase64()}`,
    `${name}+${id}`,
    `lo g+${id}+${material}`,
    '',
  ]) {
    throwsCode('KEY_MALFORMED', () => parseVerifierKey(bad));
  }
});

// ---- Cosignatures ----

test('a cosignature signs "cosignature/v1", the time and the checkpoint, and verifies', () => {
  const [log, witness] = [ed25519(), ed25519()];
  const time = 1679315147;
  const note = signNote(CHECKPOINT_TEXT, [
    createNoteSigner('log', log),
    createCosigner('witness.example/w1', witness, () => time),
  ]);
  const witnessVkey = verifierKeyString('witness.example/w1', witness, 'cosignature/v1');
  const opened = openNote(note, [
    parseVerifierKey(verifierKeyString('log', log)),
    parseVerifierKey(witnessVkey),
  ]);
  const cosignature = opened.verified.find((s) => s.type === 'cosignature/v1');
  assert.ok(cosignature);
  assert.equal(cosignatureTime(cosignature), time);
  // The line holds key ID (4) || big-endian timestamp (8) || Ed25519 signature (64) over the message.
  const bytes = Uint8Array.fromBase64(note.slice(note.lastIndexOf(' ') + 1, -1));
  assert.equal(bytes.length, 76);
  assert.equal(new DataView(bytes.buffer).getBigUint64(4), BigInt(time));
  const message = Buffer.from(`cosignature/v1\ntime ${time}\n${CHECKPOINT_TEXT}`);
  assert.ok(verify(null, message, witness, bytes.subarray(12)));
});

test('a cosignature with a changed time or checkpoint is rejected', () => {
  const witness = ed25519();
  const verifier = parseVerifierKey(verifierKeyString('w', witness, 'cosignature/v1'));
  const note = signNote(
    CHECKPOINT_TEXT,
    createCosigner('w', witness, () => 1000),
  );
  throwsCode('SIGNATURE_INVALID', () => openNote(replaceOnce(note, '20852163', '20852164'), [verifier]));
  const signature = note.slice(note.lastIndexOf(' ') + 1, -1);
  const later = Uint8Array.fromBase64(signature);
  later[11] = 1001 % 256;
  throwsCode('SIGNATURE_INVALID', () => openNote(replaceOnce(note, signature, later.toBase64()), [verifier]));
  // A plain Ed25519 verifier for the same key has another key ID, so it does not even match.
  throwsCode('NOTE_UNVERIFIED', () => openNote(note, [parseVerifierKey(verifierKeyString('w', witness))]));
  throwsCode('CHECKPOINT_MALFORMED', () =>
    signNote(
      'not a checkpoint\n',
      createCosigner('w', witness, () => 1),
    ),
  );
});

// A checkpoint of the arche2025h1.staging.ct.transparency.dev log with its Ed25519 signature, a
// static-ct-api (type 0x05) signature we do not know, and cosignatures from public witnesses.
const ARCHE_NOTE = `arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
`;
const ARCHE_VKEY =
  'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';

test('a real checkpoint and witness cosignature from the public ecosystem verify', () => {
  const opened = openNote(ARCHE_NOTE, [parseVerifierKey(ARCHE_VKEY), parseVerifierKey(REMORA_VKEY)]);
  assert.deepEqual(
    opened.verified.map((s) => [s.name, s.type]),
    [
      ['arche2025h1.staging.ct.transparency.dev', 'ed25519'],
      ['remora.n621.de', 'cosignature/v1'],
    ],
  );
  assert.equal(cosignatureTime(opened.verified[1] ?? assert.fail()), 1779573024);
  assert.equal(parseCheckpoint(opened.text).size, 1432088532);
  const forged = replaceOnce(ARCHE_NOTE, '1432088532', '1432088533');
  throwsCode('SIGNATURE_INVALID', () => openNote(forged, [parseVerifierKey(REMORA_VKEY)]));
});

// `crossroads log verify` and `crossroads log verify-proof`, the real CLI in a child process, on
// copies of a live test hub's database: intact, then with one thing tampered with per copy (one
// byte of one record, one stored tree node, a deleted record, a checkpoint's signature). Each time
// the command must exit 1 and name the place.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import type { AccessEntryProof, LogVerdict, StoredRecord } from '../../src/log/index.ts';
import { encodeRecord, hashRecord, verifierKeyString } from '../../src/log/index.ts';
import { sqliteOnly } from '../helpers/engine.ts';
import { operatorToken, startTestHub } from '../helpers/test-hub.ts';
import {
  cliJson,
  copyDatabase,
  editDatabase,
  exchanges,
  recordTexts,
  runCli,
  waitForTree,
} from './log-helpers.ts';

let work: string;
let dataDir: string;
let pristine: string;
let vkey: string;
let records: string[];
let checkpointSizes: number[];
let entry: AccessEntryProof;
let copies = 0;

// These tamper with copies of the SQLite file; on PostgreSQL verify-pg.test.ts does the same.
const skip = sqliteOnly(
  'tampers with copies of the SQLite database file (verify-pg.test.ts covers PostgreSQL)',
);

before(async () => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'crossroads-verify-'));
  const th = await startTestHub({ keepDataDir: true });
  dataDir = th.dataDir;
  try {
    await waitForTree(th.hub); // the demo's records in a checkpoint of their own
    // Several checkpoints: resuming a paused sequencer integrates at once.
    const operator = { token: operatorToken(th.demo) };
    for (const count of [2, 3, 5]) {
      await th.call('POST', '/admin/log/sequencer', { ...operator, body: { paused: true } });
      await exchanges(th, count);
      await th.call('POST', '/admin/log/sequencer', { ...operator, body: { paused: false } });
      await waitForTree(th.hub);
    }
    vkey = (await th.call<{ verifierKey: string }>('GET', '/public/log/key')).body.verifierKey;
    assert.equal(vkey, th.hub.logKey.verifierKey);
    const latest = (await th.hub.tree.latestCheckpoint())!;
    const logIndex = latest.size - 4;
    entry = {
      record: (await recordTexts(th.hub.store.reader))[logIndex]!,
      logIndex,
      proof: {
        checkpoint: { size: latest.size, rootHash: latest.rootHash, note: latest.note },
        leafHash: await th.hub.tree.leafHash(logIndex),
        inclusion: await th.hub.tree.inclusionProof(logIndex, latest.size),
      },
    };
  } finally {
    await th.close();
  }
  pristine = join(work, 'pristine.db');
  copyDatabase(th.hub.config.databasePath, pristine);
  const copy = new DatabaseSync(pristine, { readOnly: true });
  records = await recordTexts(copy);
  copy.close();
  editDatabase(pristine, (db) => {
    checkpointSizes = db
      .prepare('SELECT size FROM checkpoints ORDER BY size')
      .all()
      .map((r) => Number(r.size));
  });
  assert.ok(
    checkpointSizes.length >= 4 && checkpointSizes.at(-1) === records.length,
    `${checkpointSizes.join(', ')} / ${records.length}`,
  );
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A fresh copy of the intact database, changed by `tamper`. */
function copy(tamper?: Parameters<typeof editDatabase>[1]): string {
  const path = join(work, `copy-${++copies}.db`);
  copyFileSync(pristine, path);
  if (tamper) editDatabase(path, tamper);
  return path;
}

async function verify(db: string, args: string[] = ['--vkey', vkey], env: Record<string, string> = {}) {
  const result = await runCli(['log', 'verify', '--db', db, ...args], { CROSSROADS_DATA_DIR: work, ...env });
  return { code: result.code, verdict: cliJson<LogVerdict>(result) };
}

/** Expects exit 1 and a verdict naming leaf `index` with a problem matching `problem`. */
async function expectFault(db: string, index: number, problem: RegExp): Promise<void> {
  const { code, verdict } = await verify(db);
  assert.equal(code, 1, JSON.stringify(verdict));
  assert.ok(!verdict.ok);
  assert.equal(verdict.index, index, verdict.problem);
  assert.equal(verdict.seq, index + 1);
  assert.match(verdict.problem, problem);
}

/** Replaces the character at `at` with another of the same byte length. */
function changeByte(text: string, at: number): string {
  const next = text[at] === 'a' ? 'b' : 'a';
  assert.ok(/[ -~]/.test(text[at]!), 'an ASCII character');
  return text.slice(0, at) + next + text.slice(at + 1);
}

/** A base64 hash with one bit flipped. */
function flipBit(base64: string, byte = 7): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[byte]! ^= 0x01;
  return bytes.toString('base64');
}

describe('crossroads log verify', { skip }, () => {
  test('exits 0 with {"ok":true} on an intact copy of a live hub database', async () => {
    const { code, verdict } = await verify(copy());
    assert.equal(code, 0, JSON.stringify(verdict));
    assert.deepEqual(verdict, {
      ok: true,
      records: records.length,
      treeSize: records.length,
      checkpoints: checkpointSizes.length,
    });
  });

  test('finds the log key from the signing key in the data folder when --vkey is not given', async () => {
    const { code, verdict } = await verify(copy(), [], { CROSSROADS_DATA_DIR: dataDir });
    assert.equal(code, 0, JSON.stringify(verdict));
  });

  test('records committed but not yet in a signed tree are not a fault', async () => {
    const db = copy((d) => {
      const last = JSON.parse(records.at(-1)!) as StoredRecord;
      const lastHash = hashRecord(records.at(-1)!);
      const next = encodeRecord({ ...last, exchangeId: 'pending-1', seq: last.seq + 1, prev: lastHash });
      d.prepare(
        'INSERT INTO exchange_log (seq, exchange_id, at, person, caller, record, hash) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(last.seq + 1, 'pending-1', last.time, last.person, last.caller, next, hashRecord(next));
    });
    const { code, verdict } = await verify(db);
    assert.equal(code, 0, JSON.stringify(verdict));
    assert.deepEqual(verdict, {
      ok: true,
      records: records.length + 1,
      treeSize: records.length,
      checkpoints: checkpointSizes.length,
    });
  });

  test('one byte of one stored record changed: exit 1, naming that record', async () => {
    const index = Math.floor(records.length / 2);
    const text = records[index]!;
    const at = text.indexOf('"exchangeId":"') + 20;
    const db = copy((d) =>
      d.prepare('UPDATE exchange_log SET record = ? WHERE seq = ?').run(changeByte(text, at), index + 1),
    );
    await expectFault(db, index, /stored hash does not match its content/);
  });

  test('a record rewritten together with its hash: exit 1, naming that record, not the next one', async () => {
    const index = 17;
    const forged = records[index]!.replace('"outcome":"', '"outcome":"x');
    const db = copy((d) =>
      d
        .prepare('UPDATE exchange_log SET record = ?, hash = ? WHERE seq = ?')
        .run(forged, hashRecord(forged), index + 1),
    );
    await expectFault(db, index, /its leaf differs from stored tree node level 0 index 17/);
  });

  test('one stored tree node changed: exit 1, naming the node and its first leaf', async () => {
    const interior = copy((d) => {
      const row = d.prepare('SELECT hash FROM merkle_nodes WHERE level = 3 AND idx = 5').get()!;
      d.prepare('UPDATE merkle_nodes SET hash = ? WHERE level = 3 AND idx = 5').run(
        flipBit(String(row.hash)),
      );
    });
    await expectFault(interior, 40, /tree node level 3 index 5 differs/);
    const leaf = copy((d) => {
      const row = d.prepare('SELECT hash FROM merkle_nodes WHERE level = 0 AND idx = 123').get()!;
      d.prepare('UPDATE merkle_nodes SET hash = ? WHERE level = 0 AND idx = 123').run(
        flipBit(String(row.hash), 0),
      );
    });
    await expectFault(leaf, 123, /tree node level 0 index 123/);
  });

  test('a deleted record: exit 1, naming it as missing', async () => {
    const index = records.length - 7;
    const db = copy((d) => d.prepare('DELETE FROM exchange_log WHERE seq = ?').run(index + 1));
    await expectFault(db, index, new RegExp(`record ${index + 1} is missing`));
  });

  test('a checkpoint whose note signature was altered: exit 1, naming the checkpoint', async () => {
    const size = checkpointSizes[1]!;
    const db = copy((d) => {
      const note = String(d.prepare('SELECT note FROM checkpoints WHERE size = ?').get(size)!.note);
      const line = note.trimEnd().split('\n').at(-1)!;
      const [dash, name, signature] = line.split(' ');
      const altered = note.replace(line, `${dash} ${name} ${flipBit(signature!, 20)}`);
      assert.notEqual(altered, note);
      d.prepare('UPDATE checkpoints SET note = ? WHERE size = ?').run(altered, size);
    });
    await expectFault(db, size - 1, new RegExp(`checkpoint of size ${size}: .*SIGNATURE_INVALID`));
  });

  test('checkpoints checked against another key of the same name: exit 1, naming the first checkpoint', async () => {
    const other = verifierKeyString(vkey.split('+')[0]!, generateKeyPairSync('ed25519').privateKey);
    const { code, verdict } = await verify(copy(), ['--vkey', other]);
    assert.equal(code, 1);
    assert.ok(!verdict.ok);
    assert.equal(verdict.index, checkpointSizes[0]! - 1);
    assert.match(verdict.problem, /NOTE_UNVERIFIED/);
  });
});

describe('crossroads log verify-proof', { skip }, () => {
  const run = async (value: AccessEntryProof) => {
    const file = join(work, `entry-${++copies}.json`);
    writeFileSync(file, JSON.stringify(value));
    const result = await runCli(['log', 'verify-proof', file, '--vkey', vkey], { CROSSROADS_DATA_DIR: work });
    return { code: result.code, verdict: cliJson(result) };
  };

  test('exits 0 for an entry built from the hub (record, index, inclusion proof, signed checkpoint)', async () => {
    const { code, verdict } = await run(entry);
    assert.equal(code, 0, JSON.stringify(verdict));
    assert.deepEqual(verdict, { ok: true, logIndex: entry.logIndex, treeSize: entry.proof!.checkpoint.size });
  });

  test('exits 1 when one byte of the record is changed', async () => {
    const at = entry.record.indexOf('"time":"') + 10;
    const { code, verdict } = await run({ ...entry, record: changeByte(entry.record, at) });
    assert.equal(code, 1);
    assert.equal(verdict.ok, false);
  });
});

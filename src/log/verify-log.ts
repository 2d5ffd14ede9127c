// `crossroads log verify`: recomputes the whole log from its records and checks everything stored
// against it — each record's hash and link, every stored tree node, every checkpoint's root and
// signature — and names the first place that disagrees. Reads in pages; the log never has to fit
// in memory.
import type { DatabaseSync } from 'node:sqlite';
import { GENESIS_HASH, type StoredRecord, hashRecord } from './record.ts';
import {
  type CompactRange,
  EMPTY_COMPACT_RANGE,
  MerkleError,
  type NoteVerifier,
  appendLeaves,
  leafHash,
  openNote,
  parseCheckpoint,
} from './merkle/index.ts';

export type LogVerdict =
  | { readonly ok: true; readonly records: number; readonly treeSize: number; readonly checkpoints: number }
  | {
      readonly ok: false;
      /** The first record (0-based leaf index) the problem concerns. */
      readonly index: number;
      readonly seq: number;
      readonly problem: string;
    };

const PAGE = 5_000;
const encoder = new TextEncoder();

export function verifyLog(db: DatabaseSync, logKey: NoteVerifier): LogVerdict {
  const records = db.prepare('SELECT seq, record, hash FROM exchange_log WHERE seq > ? ORDER BY seq LIMIT ?');
  const node = db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?');
  const checkpoints = db.prepare('SELECT size, root_hash, note FROM checkpoints ORDER BY size').all();
  let range: CompactRange = EMPTY_COMPACT_RANGE;
  let prev = GENESIS_HASH;
  let seq = 0;
  let nextCheckpoint = 0;
  // Records after the latest checkpoint are committed but not yet in the signed tree (the
  // sequencer runs about once a second): their chain is checked, their tree nodes do not exist yet.
  const signedSize = Number(checkpoints.at(-1)?.size ?? 0);
  const fail = (index: number, problem: string): LogVerdict => ({
    ok: false,
    index,
    seq: index + 1,
    problem,
  });

  for (;;) {
    const rows = records.all(seq, PAGE);
    if (rows.length === 0) break;
    const leaves: Uint8Array[] = [];
    for (const row of rows) {
      const text = String(row.record);
      const expected = seq + 1;
      if (Number(row.seq) !== expected) return fail(expected - 1, `record ${expected} is missing`);
      const problem = checkRecord(text, String(row.hash), expected, prev);
      if (problem) return fail(expected - 1, problem);
      const leaf = leafHash(encoder.encode(text));
      // A record rewritten together with its hash still disagrees with its leaf in the signed
      // tree: name it here, before the next record's broken link would be blamed.
      const storedLeaf = expected <= signedSize ? node.get(0, expected - 1) : undefined;
      if (storedLeaf && String(storedLeaf.hash) !== Buffer.from(leaf).toString('base64')) {
        return fail(
          expected - 1,
          `its leaf differs from stored tree node level 0 index ${expected - 1}: the record (with its hash) or that node was changed`,
        );
      }
      prev = String(row.hash);
      seq = expected;
      leaves.push(leaf);
    }
    // Grow the tree up to each checkpoint inside this page, and compare as we go.
    let done = 0;
    while (done < leaves.length && range.size < signedSize) {
      const cp = checkpoints[nextCheckpoint];
      const stop =
        cp && Number(cp.size) <= range.size + leaves.length - done
          ? Number(cp.size) - range.size
          : leaves.length - done;
      const result = appendLeaves(range, leaves.slice(done, done + stop));
      for (const n of result.nodes) {
        const stored = node.get(n.level, n.index);
        const first = n.index * 2 ** n.level;
        if (!stored) return fail(first, `tree node level ${n.level} index ${n.index} is missing`);
        if (String(stored.hash) !== Buffer.from(n.hash).toString('base64')) {
          return fail(
            first,
            `stored tree node level ${n.level} index ${n.index} differs from the one its records give`,
          );
        }
      }
      range = result.range;
      done += stop;
      if (cp && Number(cp.size) === range.size) {
        const problem = checkCheckpoint(cp, Buffer.from(result.root).toString('base64'), logKey);
        if (problem) return fail(range.size - 1, `checkpoint of size ${range.size}: ${problem}`);
        nextCheckpoint += 1;
      }
    }
  }
  const orphan = checkpoints[nextCheckpoint];
  if (orphan)
    return fail(seq, `checkpoint of size ${Number(orphan.size)} is larger than the ${seq} records stored`);
  return { ok: true, records: seq, treeSize: range.size, checkpoints: checkpoints.length };
}

function checkRecord(text: string, storedHash: string, seq: number, prev: string): string | undefined {
  let record: StoredRecord;
  try {
    record = JSON.parse(text) as StoredRecord;
  } catch {
    return 'the record is not valid JSON';
  }
  if (record.seq !== seq) return `the record says it is number ${String(record.seq)}`;
  if (hashRecord(text) !== storedHash) return 'its stored hash does not match its content';
  if (record.prev !== prev) return 'its link to the previous record is broken';
  return undefined;
}

function checkCheckpoint(
  row: Record<string, unknown>,
  root: string,
  logKey: NoteVerifier,
): string | undefined {
  if (String(row.root_hash) !== root) return 'its stored root differs from the root its records give';
  try {
    const opened = openNote(String(row.note), [logKey]);
    const body = parseCheckpoint(opened.text);
    if (body.size !== Number(row.size)) return `its note says size ${body.size}`;
    if (Buffer.from(body.rootHash).toString('base64') !== root) return 'its signed note names another root';
    if (body.origin !== logKey.name) return `its note names origin ${body.origin}`;
  } catch (error) {
    return `its signed note does not verify (${error instanceof MerkleError ? error.code : 'malformed'})`;
  }
  return undefined;
}

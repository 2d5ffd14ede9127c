// `crossroads log verify`: recomputes the whole log from its records and checks everything stored
// against it — each record's hash and link, every stored tree node, every checkpoint's root and
// signature — and names the first place that disagrees. Reads in pages; the log never has to fit
// in memory. Runs on either engine through the store's reader: per page one query for the records,
// one for their stored leaves and one per tree level for the nodes they complete (never one round
// trip per node), then compares from maps.
import type { StoreReader } from '../store/index.ts';
import { GENESIS_HASH, type StoredRecord, hashRecord } from './record.ts';
import {
  type AppendResult,
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

interface RecordRow {
  readonly seq: number | string;
  readonly record: string;
  readonly hash: string;
}

interface CheckpointRow {
  readonly size: number | string;
  readonly root_hash: string;
  readonly note: string;
}

/** Where the hash chain stands: the last record checked (0: none) and its hash. */
interface ChainPosition {
  readonly seq: number;
  readonly prev: string;
}

/** Stored node hashes (base64) of one level, by index. */
type LevelNodes = ReadonlyMap<number, string>;

/** The tree grown by one run of leaves, up to a checkpoint (then named) or the end of the page. */
interface Segment {
  readonly result: AppendResult;
  readonly checkpoint: CheckpointRow | undefined;
}

const PAGE = 5_000;
const RECORDS_SQL = 'SELECT seq, record, hash FROM exchange_log WHERE seq > ? ORDER BY seq LIMIT ?';
const NODES_SQL = 'SELECT idx, hash FROM merkle_nodes WHERE level = ? AND idx >= ? AND idx < ?';
const CHECKPOINTS_SQL = 'SELECT size, root_hash, note FROM checkpoints ORDER BY size';
const encoder = new TextEncoder();
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

const fail = (index: number, problem: string): LogVerdict => ({ ok: false, index, seq: index + 1, problem });

export async function verifyLog(reader: StoreReader, logKey: NoteVerifier): Promise<LogVerdict> {
  const checkpoints = await reader.all<CheckpointRow>(CHECKPOINTS_SQL, []);
  let range: CompactRange = EMPTY_COMPACT_RANGE;
  let chain: ChainPosition = { seq: 0, prev: GENESIS_HASH };
  let nextCheckpoint = 0;
  // Records after the latest checkpoint are committed but not yet in the signed tree (the
  // sequencer runs about once a second): their chain is checked, their tree nodes do not exist yet.
  const signedSize = Number(checkpoints.at(-1)?.size ?? 0);

  for (;;) {
    const rows = await reader.all<RecordRow>(RECORDS_SQL, [chain.seq, PAGE]);
    if (rows.length === 0) break;
    const leafSpan = { from: chain.seq, to: Math.min(chain.seq + rows.length, signedSize) };
    const storedLeaves = await storedNodes(reader, 0, leafSpan.from, leafSpan.to);
    const page = checkRecords(rows, chain, storedLeaves, signedSize);
    if ('ok' in page) return page;
    chain = page.chain;
    const grown = growTree(range, page.leaves, checkpoints.slice(nextCheckpoint), signedSize);
    const stored = await nodesOf(reader, grown, { ...leafSpan, nodes: storedLeaves });
    for (const segment of grown) {
      const problem = checkSegment(segment, stored, logKey);
      if (problem) return problem;
      range = segment.result.range;
      if (segment.checkpoint) nextCheckpoint += 1;
    }
  }
  const orphan = checkpoints[nextCheckpoint];
  const { seq } = chain;
  if (orphan)
    return fail(seq, `checkpoint of size ${Number(orphan.size)} is larger than the ${seq} records stored`);
  return { ok: true, records: seq, treeSize: range.size, checkpoints: checkpoints.length };
}

/**
 * One page of records, in order: each follows the one before (number, hash, link) and, when in
 * the signed tree, agrees with its stored leaf. Answers the page's leaf hashes, or the first fault.
 */
function checkRecords(
  rows: readonly RecordRow[],
  start: ChainPosition,
  storedLeaves: LevelNodes,
  signedSize: number,
): LogVerdict | { readonly chain: ChainPosition; readonly leaves: Uint8Array[] } {
  let { seq, prev } = start;
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
    const storedLeaf = expected <= signedSize ? storedLeaves.get(expected - 1) : undefined;
    if (storedLeaf !== undefined && storedLeaf !== base64(leaf)) {
      return fail(
        expected - 1,
        `its leaf differs from stored tree node level 0 index ${expected - 1}: the record (with its hash) or that node was changed`,
      );
    }
    prev = String(row.hash);
    seq = expected;
    leaves.push(leaf);
  }
  return { chain: { seq, prev }, leaves };
}

/**
 * Grows the tree by this page's leaves, stopping at each checkpoint on the way (`ahead`, smallest
 * first) and at the signed size. Pure: the stored nodes are compared afterwards, segment by segment.
 */
function growTree(
  start: CompactRange,
  leaves: readonly Uint8Array[],
  ahead: readonly CheckpointRow[],
  signedSize: number,
): Segment[] {
  const segments: Segment[] = [];
  let range = start;
  let next = 0;
  let done = 0;
  while (done < leaves.length && range.size < signedSize) {
    const cp = ahead[next];
    const stop =
      cp && Number(cp.size) <= range.size + leaves.length - done
        ? Number(cp.size) - range.size
        : leaves.length - done;
    const result = appendLeaves(range, leaves.slice(done, done + stop));
    range = result.range;
    done += stop;
    const reached = cp && Number(cp.size) === range.size ? cp : undefined;
    if (reached) next += 1;
    segments.push({ result, checkpoint: reached });
  }
  return segments;
}

/** The stored nodes at the places `segments` computed: one range query per level (level 0 given). */
async function nodesOf(
  reader: StoreReader,
  segments: readonly Segment[],
  leaves: { readonly from: number; readonly to: number; readonly nodes: LevelNodes },
): Promise<Map<number, LevelNodes>> {
  // appendLeaves completes the nodes of each level in index order, so per level they are contiguous.
  const spans = new Map<number, { from: number; to: number }>();
  for (const { result } of segments) {
    for (const n of result.nodes) {
      const span = spans.get(n.level);
      if (span) span.to = Math.max(span.to, n.index + 1);
      else spans.set(n.level, { from: n.index, to: n.index + 1 });
    }
  }
  const stored = new Map<number, LevelNodes>();
  for (const [level, { from, to }] of spans) {
    const covered = level === 0 && from >= leaves.from && to <= leaves.to;
    stored.set(level, covered ? leaves.nodes : await storedNodes(reader, level, from, to));
  }
  return stored;
}

/** The stored nodes of one level with index in [from, to). */
async function storedNodes(
  reader: StoreReader,
  level: number,
  from: number,
  to: number,
): Promise<LevelNodes> {
  const nodes = new Map<number, string>();
  if (from >= to) return nodes;
  const rows = await reader.all<{ idx: number | string; hash: string }>(NODES_SQL, [level, from, to]);
  for (const row of rows) nodes.set(Number(row.idx), String(row.hash));
  return nodes;
}

/** Each node the segment computed against the stored one, then the checkpoint it reaches. */
function checkSegment(
  { result, checkpoint }: Segment,
  stored: ReadonlyMap<number, LevelNodes>,
  logKey: NoteVerifier,
): LogVerdict | undefined {
  for (const n of result.nodes) {
    const hash = stored.get(n.level)?.get(n.index);
    const first = n.index * 2 ** n.level;
    if (hash === undefined) return fail(first, `tree node level ${n.level} index ${n.index} is missing`);
    if (hash !== base64(n.hash)) {
      return fail(
        first,
        `stored tree node level ${n.level} index ${n.index} differs from the one its records give`,
      );
    }
  }
  if (!checkpoint) return undefined;
  const size = result.range.size;
  const problem = checkCheckpoint(checkpoint, base64(result.root), logKey);
  return problem ? fail(size - 1, `checkpoint of size ${size}: ${problem}`) : undefined;
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

function checkCheckpoint(row: CheckpointRow, root: string, logKey: NoteVerifier): string | undefined {
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

// The sequencer: integrates committed records into the RFC 9162 Merkle tree and signs a C2SP
// checkpoint for each new tree size. Leaf i is record seq i + 1; its hash is
// SHA-256(0x00 ‖ the record's canonical JSON bytes). Every perfect subtree is stored when it
// completes, so proofs read O(log n) nodes and never the log itself. Nodes and checkpoint are
// written in one transaction: a crash leaves either both or neither.
import { createPrivateKey } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  type AppendResult,
  type CompactRange,
  EMPTY_COMPACT_RANGE,
  appendLeaves,
  compactRangeFromStore,
  createNoteSigner,
  formatCheckpoint,
  leafHash,
  signNote,
  type NoteSigner,
} from './merkle/index.ts';

export interface SequencerOptions {
  readonly origin: string;
  readonly privateKeyPem: string;
  /** Most records integrated in one step (bounds the transaction and the memory). */
  readonly maxBatch?: number;
  readonly now?: () => Date;
}

export interface Integration {
  readonly size: number;
  readonly rootHash: string;
  readonly integrated: number;
}

const encoder = new TextEncoder();
const KNOWN_LIMIT = 50_000;
export const SEQUENCER_MAX_BATCH = 10_000;

/** The tree grown by the records' canonical texts, its new nodes, and its signed checkpoint note. */
export function growTree(
  range: CompactRange,
  texts: readonly string[],
  origin: string,
  signer: NoteSigner,
): { readonly result: AppendResult; readonly rootHash: string; readonly note: string } {
  const leaves = texts.map((text) => leafHash(encoder.encode(text)));
  const result = appendLeaves(range, leaves);
  const rootHash = Buffer.from(result.root).toString('base64');
  const body = formatCheckpoint({ origin, size: result.range.size, rootHash: result.root });
  return { result, rootHash, note: signNote(body, signer) };
}

export class Sequencer {
  readonly #db: DatabaseSync;
  readonly #origin: string;
  readonly #signer: NoteSigner;
  readonly #maxBatch: number;
  readonly #now: () => Date;
  readonly #records: StatementSync;
  readonly #insertNode: StatementSync;
  readonly #insertCheckpoint: StatementSync;
  #range: CompactRange;
  /** Canonical texts of records committed after the tree (seq size+1, size+2, …), if known. */
  #known: string[] = [];

  constructor(db: DatabaseSync, options: SequencerOptions) {
    this.#db = db;
    this.#origin = options.origin;
    this.#signer = createNoteSigner(options.origin, createPrivateKey(options.privateKeyPem));
    this.#maxBatch = options.maxBatch ?? SEQUENCER_MAX_BATCH;
    this.#now = options.now ?? (() => new Date());
    this.#records = db.prepare('SELECT seq, record FROM exchange_log WHERE seq > ? ORDER BY seq LIMIT ?');
    this.#insertNode = db.prepare('INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)');
    this.#insertCheckpoint = db.prepare(
      'INSERT INTO checkpoints (size, root_hash, note, created_at) VALUES (?, ?, ?, ?)',
    );
    const latest = db.prepare('SELECT MAX(size) AS size FROM checkpoints').get();
    const size = Number(latest?.size ?? 0);
    const node = db.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?');
    this.#range =
      size === 0
        ? EMPTY_COMPACT_RANGE
        : compactRangeFromStore(size, (level, index) =>
            Buffer.from(String(node.get(level, index)?.hash), 'base64'),
          );
  }

  /** Leaves in the signed tree. */
  get size(): number {
    return this.#range.size;
  }

  /**
   * The writer tells the sequencer what it just committed, so integration need not read it back.
   * Anything out of order is forgotten; integration then reads the records from the database.
   */
  remember(firstSeq: number, texts: readonly string[]): void {
    // Out of order, or a backlog (a paused sequencer) too large to hold: read from the database.
    if (firstSeq !== this.#range.size + this.#known.length + 1 || this.#known.length > KNOWN_LIMIT)
      this.#known = [];
    else this.#known.push(...texts);
  }

  /** Integrates up to maxBatch committed records; returns undefined when there were none. */
  integrate(): Integration | undefined {
    const texts = this.#known.length > 0 ? this.#known.slice(0, this.#maxBatch) : this.#read();
    if (texts.length === 0) return undefined;
    const { result, rootHash, note } = growTree(this.#range, texts, this.#origin, this.#signer);
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      for (const n of result.nodes)
        this.#insertNode.run(n.level, n.index, Buffer.from(n.hash).toString('base64'));
      this.#insertCheckpoint.run(result.range.size, rootHash, note, this.#now().toISOString());
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
    this.#range = result.range;
    this.#known = this.#known.slice(texts.length);
    return { size: result.range.size, rootHash, integrated: texts.length };
  }

  #read(): string[] {
    const rows = this.#records.all(this.#range.size, this.#maxBatch);
    return rows.map((row, i) => {
      const expected = this.#range.size + i + 1;
      if (Number(row.seq) !== expected) throw new Error(`exchange log record ${expected} is missing`);
      return String(row.record);
    });
  }
}

// Reads the stored Merkle tree and checkpoints: proofs never load the log, only O(log n) stored
// perfect-subtree hashes (RFC 9162 §2.1.3–2.1.4), through the store's hot-path reader.
import { Problem } from '../kernel/index.ts';
import type { Dialect, Store, StoreReader } from '../store/index.ts';
import { consistencyProof, inclusionProof } from './merkle/index.ts';

export interface StoredCheckpoint {
  readonly size: number;
  /** base64 */
  readonly rootHash: string;
  /** The hub's signed note (checkpoint body, blank line, signature line). */
  readonly note: string;
  readonly createdAt: string;
}

/**
 * Stored nodes never change, and the upper levels are few (n / 2^level) yet read by every proof:
 * they are kept in memory from this level up. For 10M leaves that is about 20,000 hashes (≈ 1 MB).
 */
const CACHED_FROM_LEVEL = 9;

export class LogTree {
  readonly #upperNodes = new Map<string, Uint8Array>();
  readonly #reader: StoreReader;
  readonly #dialect: Dialect;

  constructor(store: Pick<Store, 'reader' | 'dialect'>) {
    this.#reader = store.reader;
    this.#dialect = store.dialect;
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | undefined> {
    const [row] = await this.#reader.all(
      'SELECT size, root_hash, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1',
      [],
    );
    return toCheckpoint(row);
  }

  async checkpoint(size: number): Promise<StoredCheckpoint | undefined> {
    const [row] = await this.#reader.all(
      'SELECT size, root_hash, note, created_at FROM checkpoints WHERE size = ?',
      [size],
    );
    return toCheckpoint(row);
  }

  /** Checkpoints of size ≥ `from`, oldest first. */
  async checkpoints(from: number, limit: number): Promise<StoredCheckpoint[]> {
    const rows = await this.#reader.all(
      'SELECT size, root_hash, note, created_at FROM checkpoints WHERE size >= ? ORDER BY size LIMIT ?',
      [from, limit],
    );
    return rows.map((row) => toCheckpoint(row)!);
  }

  /** The checkpoint's note with every witness cosignature line appended (C2SP signed-note). */
  async cosignedNote(checkpoint: StoredCheckpoint): Promise<string> {
    const rows = await this.#reader.all(
      'SELECT signature_line FROM cosignatures WHERE size = ? ORDER BY witness',
      [checkpoint.size],
    );
    const lines = rows.map((r) => String(r.signature_line));
    return lines.length === 0 ? checkpoint.note : checkpoint.note + lines.map((l) => `${l}\n`).join('');
  }

  /** The RFC 9162 leaf hash (base64) of the record at 0-based `index` (record seq = index + 1). */
  async leafHash(index: number): Promise<string> {
    return this.#withNodes((get) => Buffer.from(get(0, index)).toString('base64'));
  }

  /** Inclusion proof of leaf `index` in the tree of `size` leaves, as base64 hashes. */
  async inclusionProof(index: number, size: number): Promise<string[]> {
    await this.#requireCheckpointed(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new Problem('VALIDATION_FAILED', `index must be from 0 to ${size - 1}`);
    }
    return this.#withNodes((get) => inclusionProof(index, size, get).map(base64));
  }

  /** Consistency proof from the tree of `from` leaves to the tree of `to` leaves. */
  async consistencyProof(from: number, to: number): Promise<string[]> {
    await this.#requireCheckpointed(to);
    if (!Number.isSafeInteger(from) || from < 1 || from > to) {
      throw new Problem('VALIDATION_FAILED', `from must be from 1 to ${to}`);
    }
    return this.#withNodes((get) => consistencyProof(from, to, get).map(base64));
  }

  async #requireCheckpointed(size: number): Promise<void> {
    const latest = await this.latestCheckpoint();
    if (!Number.isSafeInteger(size) || size < 1 || !latest || size > latest.size) {
      throw new Problem(
        'LOG_SIZE_UNKNOWN',
        `the log has no tree of ${size} leaves (latest: ${latest?.size ?? 0})`,
      );
    }
  }

  /**
   * Runs a pure tree computation over stored nodes. Which nodes it reads depends only on sizes and
   * indexes, never on hash values: a first pass notes the addresses, one round trip fetches them,
   * a second pass computes.
   */
  async #withNodes<T>(compute: (get: (level: number, index: number) => Uint8Array) => T): Promise<T> {
    const wanted = new Map<string, [number, number]>();
    const placeholder = new Uint8Array(32);
    compute((level, index) => {
      const key = `${level}/${index}`;
      if (!this.#upperNodes.has(key)) wanted.set(key, [level, index]);
      return this.#upperNodes.get(key) ?? placeholder;
    });
    const fetched = await this.#fetch([...wanted.values()]);
    return compute((level, index) => {
      const key = `${level}/${index}`;
      const hash = this.#upperNodes.get(key) ?? fetched.get(key);
      if (!hash) throw new Error(`merkle node ${key} is missing from the store`);
      return hash;
    });
  }

  async #fetch(addresses: readonly [number, number][]): Promise<Map<string, Uint8Array>> {
    const rows: Record<string, unknown>[] = [];
    if (addresses.length === 0) return new Map();
    if (this.#dialect === 'postgres') {
      rows.push(
        ...(await this.#reader.all(
          'SELECT n.level, n.idx, n.hash FROM merkle_nodes n JOIN unnest($1::int[], $2::bigint[]) AS a(level, idx) ON n.level = a.level AND n.idx = a.idx',
          [addresses.map((a) => a[0]), addresses.map((a) => a[1])],
        )),
      );
    } else {
      for (const [level, index] of addresses)
        rows.push(
          ...(await this.#reader.all(
            'SELECT level, idx, hash FROM merkle_nodes WHERE level = ? AND idx = ?',
            [level, index],
          )),
        );
    }
    const found = new Map<string, Uint8Array>();
    for (const row of rows) {
      const level = Number(row.level);
      const key = `${level}/${Number(row.idx)}`;
      const hash = new Uint8Array(Buffer.from(String(row.hash), 'base64'));
      found.set(key, hash);
      if (level >= CACHED_FROM_LEVEL) this.#upperNodes.set(key, hash);
    }
    return found;
  }
}

function base64(hash: Uint8Array): string {
  return Buffer.from(hash).toString('base64');
}

function toCheckpoint(row: Record<string, unknown> | undefined): StoredCheckpoint | undefined {
  if (!row) return undefined;
  return {
    size: Number(row.size),
    rootHash: String(row.root_hash),
    note: String(row.note),
    createdAt: String(row.created_at),
  };
}

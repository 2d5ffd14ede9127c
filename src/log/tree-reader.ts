// Reads the stored Merkle tree and checkpoints: proofs never load the log, only O(log n) stored
// perfect-subtree hashes (RFC 9162 §2.1.3–2.1.4), through the store's read-only connection.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Problem } from '../kernel/index.ts';
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
  readonly #node: StatementSync;
  readonly #latest: StatementSync;
  readonly #atSize: StatementSync;
  readonly #history: StatementSync;
  readonly #cosignatures: StatementSync;

  constructor(reader: DatabaseSync) {
    this.#node = reader.prepare('SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?');
    this.#latest = reader.prepare(
      'SELECT size, root_hash, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1',
    );
    this.#atSize = reader.prepare('SELECT size, root_hash, note, created_at FROM checkpoints WHERE size = ?');
    this.#history = reader.prepare(
      'SELECT size, root_hash, note, created_at FROM checkpoints WHERE size >= ? ORDER BY size LIMIT ?',
    );
    this.#cosignatures = reader.prepare(
      'SELECT signature_line FROM cosignatures WHERE size = ? ORDER BY witness',
    );
  }

  latestCheckpoint(): StoredCheckpoint | undefined {
    return toCheckpoint(this.#latest.get());
  }

  checkpoint(size: number): StoredCheckpoint | undefined {
    return toCheckpoint(this.#atSize.get(size));
  }

  /** Checkpoints of size ≥ `from`, oldest first. */
  checkpoints(from: number, limit: number): StoredCheckpoint[] {
    return this.#history.all(from, limit).map((row) => toCheckpoint(row)!);
  }

  /** The checkpoint's note with every witness cosignature line appended (C2SP signed-note). */
  cosignedNote(checkpoint: StoredCheckpoint): string {
    const lines = this.#cosignatures.all(checkpoint.size).map((r) => String(r.signature_line));
    return lines.length === 0 ? checkpoint.note : checkpoint.note + lines.map((l) => `${l}\n`).join('');
  }

  /** The RFC 9162 leaf hash (base64) of the record at 0-based `index` (record seq = index + 1). */
  leafHash(index: number): string {
    return Buffer.from(this.#get(0, index)).toString('base64');
  }

  /** Inclusion proof of leaf `index` in the tree of `size` leaves, as base64 hashes. */
  inclusionProof(index: number, size: number): string[] {
    this.#requireCheckpointed(size);
    if (!Number.isSafeInteger(index) || index < 0 || index >= size) {
      throw new Problem('VALIDATION_FAILED', `index must be from 0 to ${size - 1}`);
    }
    return inclusionProof(index, size, (level, i) => this.#get(level, i)).map(base64);
  }

  /** Consistency proof from the tree of `from` leaves to the tree of `to` leaves. */
  consistencyProof(from: number, to: number): string[] {
    this.#requireCheckpointed(to);
    if (!Number.isSafeInteger(from) || from < 1 || from > to) {
      throw new Problem('VALIDATION_FAILED', `from must be from 1 to ${to}`);
    }
    return consistencyProof(from, to, (level, i) => this.#get(level, i)).map(base64);
  }

  #requireCheckpointed(size: number): void {
    const latest = this.latestCheckpoint();
    if (!Number.isSafeInteger(size) || size < 1 || !latest || size > latest.size) {
      throw new Problem(
        'LOG_SIZE_UNKNOWN',
        `the log has no tree of ${size} leaves (latest: ${latest?.size ?? 0})`,
      );
    }
  }

  #get(level: number, index: number): Uint8Array {
    const key = level >= CACHED_FROM_LEVEL ? `${level}/${index}` : undefined;
    const cached = key === undefined ? undefined : this.#upperNodes.get(key);
    if (cached) return cached;
    const row = this.#node.get(level, index);
    if (!row) throw new Error(`merkle node ${level}/${index} is missing from the store`);
    const hash = new Uint8Array(Buffer.from(String(row.hash), 'base64'));
    if (key !== undefined) this.#upperNodes.set(key, hash);
    return hash;
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

// One exchange-log record. Stored as canonical JSON (RFC 8785) with its sequence number and the
// hash of the previous record, so any edit or removal breaks the chain from that point on.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../kernel/index.ts';

export type ExchangeOutcome = 'forwarded' | 'refused' | 'failed';

/**
 * - `exchange`: a brokered exchange (POST /v1/exchanges), whatever its outcome;
 * - `identity-check`: the hub checked a REGISTER's proof of identity at the identity source;
 * - `change`: the hub released a change published by an authentic source (`providers`) to a
 *   subscribed recipient (`caller`); written before the change leaves the hub.
 * Outcome: `forwarded` — the source answered and the exchange completed; `refused` — the hub
 * stopped it before any source was asked; `failed` — a source was asked but nothing was delivered.
 */
export type RecordKind = 'exchange' | 'identity-check' | 'change';

export interface ExchangeRecord {
  readonly kind: RecordKind;
  readonly exchangeId: string;
  /** Hub time the attempt arrived (ISO 8601, UTC). */
  readonly time: string;
  /** The calling institution's KBO; null when it could not be authenticated. */
  readonly caller: string | null;
  readonly endUser: string | null;
  readonly caseReference: string | null;
  /** The person's INSZ; null when the request did not carry a valid one. */
  readonly person: string | null;
  readonly service: string | null;
  readonly serviceVersion: number | null;
  readonly purpose: string | null;
  readonly period: { readonly start: string; readonly end: string | null } | null;
  /** null when the request never reached a decision (authentication or validation failed). */
  readonly decision: 'permit' | 'deny' | null;
  /** The problem code that stopped the exchange, or null when it succeeded. */
  readonly code: string | null;
  readonly reason: string | null;
  readonly authorisation: { readonly ref: string; readonly version: number } | null;
  readonly registrations: readonly string[];
  readonly providers: readonly string[];
  readonly fields: readonly string[];
  readonly outcome: ExchangeOutcome;
  readonly durationMs: number;
}

export interface StoredRecord extends ExchangeRecord {
  readonly seq: number;
  /** Hex SHA-256 of the previous record's canonical bytes (64 zeros for the first). */
  readonly prev: string;
}

export const GENESIS_HASH = '0'.repeat(64);

export function encodeRecord(record: StoredRecord): string {
  return canonicalJson(record);
}

export function hashRecord(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}

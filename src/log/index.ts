// The exchange log: one record per exchange attempt, durable before the caller gets an answer.
export { ExchangeLog } from './exchange-log.ts';
export type { ExchangeLogOptions } from './exchange-log.ts';
export type { AppendReceipt, ChainHead } from './sequence.ts';
export { recordByExchangeId, recordsAbout, recordsAboutPerson, verifyChain } from './reader.ts';
export type { AccessQuery } from './reader.ts';
export type { ChainCheck } from './reader.ts';
export { GENESIS_HASH, encodeRecord, hashRecord } from './record.ts';
export type { ExchangeOutcome, ExchangeRecord, RecordKind, StoredRecord } from './record.ts';
export { adminLogRoutes } from './routes.ts';
export { LogTree } from './tree-reader.ts';
export type { StoredCheckpoint } from './tree-reader.ts';
export { loadOrCreateSigningKey } from './signing-key.ts';
export type { LogSigningKey } from './signing-key.ts';
export * from './merkle/index.ts';

// Store: the database connection, its dialect adapter and its migrations.
export { isPostgresUrl, openStore, pendingMigrations } from './database.ts';
export { migrationProvider } from './migrations.ts';
export { namedStatement, openReadOnlyReader, pgConnection, redactUrl } from './reader.ts';
export type { Dialect, Store, StoreOptions } from './database.ts';
export type { ReadOnlyReader, StoreReader } from './reader.ts';
export type * from './schema.ts';
export { precompile, precompileRead, precompileStatement, slot, slots } from './precompiled.ts';
export type { Precompiled, PrecompiledRead, PrecompiledStatement } from './precompiled.ts';
export { CACHED_TABLES } from './migrations.ts';
export { listenForCacheChanges } from './invalidation.ts';
export type { CacheListener, CachedTable } from './invalidation.ts';

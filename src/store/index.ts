// Store: the database connection, its dialect adapter and its migrations.
export { openStore, pendingMigrations } from './database.ts';
export { migrationProvider } from './migrations.ts';
export type { Store, StoreOptions } from './database.ts';
export type * from './schema.ts';
export { precompile, precompileRead, precompileStatement, slot, slots } from './precompiled.ts';
export type { Precompiled, PrecompiledRead, PrecompiledStatement } from './precompiled.ts';

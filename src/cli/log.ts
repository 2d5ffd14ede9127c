// `crossroads log verify [--db PATH|URL] [--vkey KEY]`: recomputes every leaf, node, root and
//    checkpoint signature from the stored records; exit 0 only when the whole log is intact. The
//    database is the SQLite file or postgres:// URL given, else the hub's own (CROSSROADS_DATABASE_URL
//    when set, else its SQLite file); it is only read.
// `crossroads log verify-proof FILE [--vkey KEY]`: checks one /me/accesses entry offline.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type HubConfig, readConfig } from '../config.ts';
import {
  type AccessEntryProof,
  type NoteVerifier,
  parseVerifierKey,
  verifierKeyString,
  verifyEntryProof,
  verifyLog,
} from '../log/index.ts';
import { isPostgresUrl, openReadOnlyReader } from '../store/index.ts';

const USAGE =
  'usage: crossroads log verify [--db PATH|URL] [--vkey KEY] | crossroads log verify-proof FILE [--vkey KEY]';

export function runLogCommand(args: readonly string[]): number | Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { db: { type: 'string' }, vkey: { type: 'string' } },
  });
  if (sub === 'verify') return verify(values.db, values.vkey);
  if (sub === 'verify-proof' && positionals.length === 1) return verifyProof(positionals[0]!, values.vkey);
  console.error(USAGE);
  return 2;
}

async function verify(db: string | undefined, vkey: string | undefined): Promise<number> {
  const config = readConfig();
  const target = databaseToRead(db, config);
  if ('path' in target && !existsSync(target.path)) {
    console.error(`no database at ${target.path}`);
    return 2;
  }
  const key = vkey ? parseVerifierKey(vkey) : keyFromFile(config.logKeyPath, config.logOrigin);
  if (!key) {
    console.error(`give the log's verifier key with --vkey (no signing key at ${config.logKeyPath})`);
    return 2;
  }
  const reader = openReadOnlyReader(target);
  try {
    const verdict = await verifyLog(reader, key);
    console.log(JSON.stringify(verdict));
    return verdict.ok ? 0 : 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`reading the log at ${reader.location}: ${message}`, { cause: error });
  } finally {
    await reader.close();
  }
}

/** `--db` (a postgres:// URL or a SQLite file), else the hub's own database. */
function databaseToRead(
  db: string | undefined,
  config: Pick<HubConfig, 'databasePath' | 'databaseUrl'>,
): { readonly path: string } | { readonly url: string } {
  if (db !== undefined) return isPostgresUrl(db) ? { url: db } : { path: db };
  return config.databaseUrl !== undefined ? { url: config.databaseUrl } : { path: config.databasePath };
}

function verifyProof(file: string, vkey: string | undefined): number {
  const entry = JSON.parse(readFileSync(file, 'utf8')) as AccessEntryProof & { verifierKey?: string };
  const trusted = vkey ?? entry.verifierKey;
  if (!trusted) {
    console.error('the entry carries no verifierKey: give the log’s key with --vkey');
    return 2;
  }
  if (!vkey)
    console.error('note: using the verifier key inside the entry; compare it with the hub’s published key');
  const verdict = verifyEntryProof(entry, parseVerifierKey(trusted));
  console.log(JSON.stringify(verdict));
  return verdict.ok ? 0 : 1;
}

/** The log's verifier key, derived from the hub's signing key file next to the database. */
function keyFromFile(path: string, origin: string): NoteVerifier | undefined {
  if (!existsSync(path)) return undefined;
  const publicKey = createPublicKey(createPrivateKey(readFileSync(path, 'utf8')));
  return parseVerifierKey(verifierKeyString(origin, publicKey));
}

// `crossroads log verify [--db PATH] [--vkey KEY]`: recomputes every leaf, node, root and checkpoint
//    signature from the stored records; exit 0 only when the whole log is intact.
// `crossroads log verify-proof FILE [--vkey KEY]`: checks one /me/accesses entry offline.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { parseArgs } from 'node:util';
import { readConfig } from '../config.ts';
import {
  type AccessEntryProof,
  type NoteVerifier,
  parseVerifierKey,
  verifierKeyString,
  verifyEntryProof,
  verifyLog,
} from '../log/index.ts';

const USAGE =
  'usage: crossroads log verify [--db PATH] [--vkey KEY] | crossroads log verify-proof FILE [--vkey KEY]';

export function runLogCommand(args: readonly string[]): number {
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

function verify(dbPath: string | undefined, vkey: string | undefined): number {
  const config = readConfig();
  const path = dbPath ?? config.databasePath;
  if (!existsSync(path)) {
    console.error(`no database at ${path}`);
    return 2;
  }
  const key = vkey ? parseVerifierKey(vkey) : keyFromFile(config.logKeyPath, config.logOrigin);
  if (!key) {
    console.error(`give the log's verifier key with --vkey (no signing key at ${config.logKeyPath})`);
    return 2;
  }
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const verdict = verifyLog(db, key);
    console.log(JSON.stringify(verdict));
    return verdict.ok ? 0 : 1;
  } finally {
    db.close();
  }
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

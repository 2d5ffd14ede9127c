// Witnesses and their cosignatures (C2SP tlog-cosignature). The operator registers a witness's
// verifier key; the witness then posts a cosignature line for a checkpoint it has checked. The hub
// keeps a line only when it verifies over that checkpoint's exact text.
import type { Kysely } from 'kysely';
import { Problem } from '../kernel/index.ts';
import type { Database } from '../store/index.ts';
import { MerkleError, cosignatureTime, openNote, parseVerifierKey } from './merkle/index.ts';
import type { LogTree } from './tree-reader.ts';

export interface Witness {
  readonly name: string;
  readonly verifierKey: string;
}

export async function registerWitness(
  db: Kysely<Database>,
  witness: Witness,
  by: string,
  at: string,
): Promise<Witness> {
  let verifier;
  try {
    verifier = parseVerifierKey(witness.verifierKey);
  } catch (error) {
    throw new Problem(
      'VALIDATION_FAILED',
      `verifierKey: ${error instanceof MerkleError ? error.message : 'malformed'}`,
    );
  }
  if (verifier.type !== 'cosignature/v1' || verifier.name !== witness.name) {
    throw new Problem(
      'VALIDATION_FAILED',
      'a witness key is a cosignature/v1 (type 0x04) key named like the witness',
    );
  }
  const existing = await db
    .selectFrom('witnesses')
    .select('name')
    .where('name', '=', witness.name)
    .executeTakeFirst();
  if (existing) throw new Problem('WITNESS_EXISTS', `witness ${witness.name} is registered`);
  await db
    .insertInto('witnesses')
    .values({ name: witness.name, verifier_key: witness.verifierKey, created_at: at, created_by: by })
    .execute();
  return witness;
}

export async function listWitnesses(db: Kysely<Database>): Promise<Witness[]> {
  const rows = await db.selectFrom('witnesses').select(['name', 'verifier_key']).orderBy('name').execute();
  return rows.map((r) => ({ name: r.name, verifierKey: r.verifier_key }));
}

/** Verifies and stores one witness's cosignature line for the checkpoint of `size`. */
export async function acceptCosignature(
  db: Kysely<Database>,
  tree: LogTree,
  size: number,
  signatureLine: string,
  at: string,
): Promise<{ witness: string; cosignedAt: number }> {
  const checkpoint = await tree.checkpoint(size);
  if (!checkpoint) throw new Problem('LOG_SIZE_UNKNOWN', `no checkpoint of size ${size}`);
  const line = signatureLine.trim();
  const name = /^— (\S+) /.exec(line)?.[1];
  const row = name
    ? await db.selectFrom('witnesses').select('verifier_key').where('name', '=', name).executeTakeFirst()
    : undefined;
  if (!name || !row) throw new Problem('UNKNOWN_WITNESS', `no registered witness ${name ?? '(unnamed)'}`);
  let cosignedAt: number;
  try {
    // The witness signed the checkpoint's note text (without any signature lines).
    const text = checkpoint.note.slice(0, checkpoint.note.indexOf('\n\n') + 1);
    const opened = openNote(`${text}\n${line}\n`, [parseVerifierKey(row.verifier_key)]);
    cosignedAt = cosignatureTime(opened.verified[0]!);
  } catch (error) {
    if (!(error instanceof MerkleError)) throw error;
    throw new Problem('COSIGNATURE_INVALID', `${name}: ${error.code}`);
  }
  await db
    .insertInto('cosignatures')
    .values({ size, witness: name, signature_line: line, cosigned_at: cosignedAt, received_at: at })
    .onConflict((oc) =>
      oc
        .columns(['size', 'witness'])
        .doUpdateSet({ signature_line: line, cosigned_at: cosignedAt, received_at: at }),
    )
    .execute();
  return { witness: name, cosignedAt };
}

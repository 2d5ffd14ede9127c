// A witness (C2SP tlog-cosignature): fetches the hub's newest checkpoint, checks the hub's
// signature, checks that it is consistent with the last checkpoint this witness saw (RFC 9162
// §2.1.4 proof fetched from the hub), and only then cosigns it and posts the cosignature back.
// A hub that rewrote its history cannot produce that proof: the first witness that checks refuses.
// State (the hub's key, the last size and root seen) is kept in a local JSON file.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import {
  MerkleError,
  createCosigner,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  verifierKeyString,
  verifyConsistency,
} from './merkle/index.ts';

export interface WitnessOptions {
  readonly hub: string;
  readonly keyPath: string;
  /** The witness's key name; default: the key file's name without extension. */
  readonly name?: string;
  readonly statePath?: string;
  readonly now?: () => number;
}

interface WitnessState {
  readonly hubVerifierKey: string;
  readonly origin: string;
  readonly size: number;
  readonly rootHash: string;
}

export type WitnessOutcome =
  | {
      readonly status: 'cosigned';
      readonly size: number;
      readonly previousSize: number;
      readonly verifierKey: string;
    }
  | { readonly status: 'refused'; readonly reason: string; readonly verifierKey: string };

export async function witnessOnce(options: WitnessOptions): Promise<WitnessOutcome> {
  const name = options.name ?? basename(options.keyPath).replace(/\.[^.]*$/, '');
  const privateKey = loadOrCreateKey(options.keyPath);
  const verifierKey = verifierKeyString(name, privateKey, 'cosignature/v1');
  const statePath = options.statePath ?? `${options.keyPath}.state.json`;
  const state = existsSync(statePath)
    ? (JSON.parse(readFileSync(statePath, 'utf8')) as WitnessState)
    : undefined;
  const refuse = (reason: string): WitnessOutcome => ({ status: 'refused', reason, verifierKey });
  const hub = options.hub.replace(/\/+$/, '');

  const key = (await getJson(`${hub}/public/log/key`)) as { verifierKey: string };
  // Trust on first use: the hub's key is pinned in the state file from then on.
  if (state && state.hubVerifierKey !== key.verifierKey) return refuse('the hub’s log key changed');
  const note = await getText(`${hub}/public/log/checkpoint`);
  let checkpoint;
  try {
    const opened = openNote(note, [parseVerifierKey(key.verifierKey)]);
    checkpoint = parseCheckpoint(opened.text);
    const rootHash = Buffer.from(checkpoint.rootHash).toString('base64');
    if (state) {
      if (checkpoint.origin !== state.origin)
        return refuse(`the checkpoint names origin ${checkpoint.origin}`);
      if (checkpoint.size < state.size)
        return refuse(`the log shrank from ${state.size} to ${checkpoint.size}`);
      if (checkpoint.size === state.size && rootHash !== state.rootHash)
        return refuse('same size, another root: a fork');
      if (checkpoint.size > state.size) {
        const { proof } = (await getJson(
          `${hub}/public/log/proof/consistency?from=${state.size}&to=${checkpoint.size}`,
        )) as {
          proof: string[];
        };
        verifyConsistency({
          size1: state.size,
          size2: checkpoint.size,
          root1: new Uint8Array(Buffer.from(state.rootHash, 'base64')),
          root2: checkpoint.rootHash,
          proof: proof.map((p) => new Uint8Array(Buffer.from(p, 'base64'))),
        });
      }
    }
    const cosigned = signNote(
      opened.text,
      createCosigner(name, privateKey, options.now ?? (() => Math.floor(Date.now() / 1000))),
    );
    const line = cosigned.trimEnd().split('\n').at(-1)!;
    const posted = await fetch(`${hub}/public/log/cosignatures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ size: checkpoint.size, signature: line }),
    });
    const next: WitnessState = {
      hubVerifierKey: key.verifierKey,
      origin: checkpoint.origin,
      size: checkpoint.size,
      rootHash,
    };
    writeFileSync(statePath, JSON.stringify(next, null, 2) + '\n');
    if (posted.status !== 201)
      return refuse(`the hub did not take the cosignature (${posted.status}): ${await posted.text()}`);
    return { status: 'cosigned', size: checkpoint.size, previousSize: state?.size ?? 0, verifierKey };
  } catch (error) {
    if (error instanceof MerkleError)
      return refuse(`${error.code}: not consistent with what this witness saw (a fork?)`);
    throw error;
  }
}

function loadOrCreateKey(path: string) {
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  return createPrivateKey(readFileSync(path, 'utf8'));
}

async function getJson(url: string): Promise<unknown> {
  return JSON.parse(await getText(url)) as unknown;
}

async function getText(url: string): Promise<string> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

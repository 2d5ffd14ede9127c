// A really running hub for HTTP tests: a temp data dir, the hub listening on 127.0.0.1:0, and the
// demo network (real source servers on free ports, 120 synthetic people). One per test file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../src/config.ts';
import type { AuthorisationRef } from '../../src/authz/index.ts';
import { type Demo, type DemoInstitutionKey, type DemoPerson, startDemo } from '../../src/demo/index.ts';
import type { RegistrationView } from '../../src/directory/index.ts';
import type { ExchangeAnswer } from '../../src/exchange/index.ts';
import { type Hub, createHub } from '../../src/hub.ts';
import type { Clock } from '../../src/kernel/index.ts';
import { type StoredRecord, recordByExchangeId } from '../../src/log/index.ts';
import { databaseFor, dropTestDatabase } from './engine.ts';

export interface CallOptions {
  readonly token?: string;
  /** Sent as JSON (content-type application/json). */
  readonly body?: unknown;
  /** Sent as is; give the content type in `headers`. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface CallResult<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON when the answer is JSON, else the text; typed by the caller. */
  readonly body: T;
}

/** An RFC 9457 answer of the hub, with the extra members some problems carry. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code: string;
  readonly instance?: string;
  readonly requestId?: string;
  readonly exchangeId?: string;
  readonly forwarded?: boolean;
  readonly errors?: readonly {
    readonly pointer: string;
    readonly message: string;
    readonly missing?: string;
    readonly unexpected?: string;
  }[];
  readonly conflicting?: RegistrationView;
  readonly authorisation?: AuthorisationRef;
  readonly provider?: string;
}

/** The answer of REGISTER (POST /v1/directory/registrations). */
export interface RegisterResultView {
  readonly registration: RegistrationView;
  readonly overlapping: readonly RegistrationView[];
}

export interface TestHub {
  readonly hub: Hub;
  readonly demo: Demo;
  readonly url: string;
  readonly dataDir: string;
  /** Every answer with status 500 so far ("never a 500"): method, path and body. */
  readonly internalErrors: string[];
  call<T = unknown>(method: string, path: string, options?: CallOptions): Promise<CallResult<T>>;
  close(): Promise<void>;
}

/** The deadline test hubs give authentic sources (tests of PROVIDER_TIMEOUT delay past it). */
export const TEST_SOURCE_TIMEOUT_MS = 1500;

export interface TestHubOptions {
  readonly clock?: Clock;
  readonly people?: number;
  readonly env?: Record<string, string>;
  /** Whether the hub runs as `crossroads start --demo` does (default true: the demo network runs). */
  readonly demo?: boolean;
  /**
   * Run the hub on this data directory (created when missing; a hub may have used it before)
   * instead of a fresh temporary one. The caller owns it: close() leaves it in place.
   */
  readonly dataDir?: string;
  /** Leave the temporary data directory in place on close() (e.g. to copy its database). */
  readonly keepDataDir?: boolean;
}

export async function startTestHub(options: TestHubOptions = {}): Promise<TestHub> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'crossroads-test-'));
  mkdirSync(dataDir, { recursive: true });
  const databaseUrl = await databaseFor(dataDir);
  const removeDataDir = async () => {
    if (options.dataDir === undefined && !options.keepDataDir) {
      rmSync(dataDir, { recursive: true, force: true });
      if (databaseUrl) await dropTestDatabase(databaseUrl);
    }
  };
  const config = readConfig(
    {
      CROSSROADS_DATA_DIR: dataDir,
      CROSSROADS_LOG_LEVEL: 'silent',
      // Long enough for a busy 2-core CI machine running several suites; short enough to test timeouts.
      CROSSROADS_SOURCE_TIMEOUT_MS: String(TEST_SOURCE_TIMEOUT_MS),
      // The demo login page offers the same people the demo network holds.
      CROSSROADS_DEMO_PEOPLE: String(Math.max(10, options.people ?? 120)),
      ...(databaseUrl ? { CROSSROADS_DATABASE_URL: databaseUrl } : {}),
      ...options.env,
    },
    { demo: options.demo ?? true },
  );
  const hub = await createHub(config, options.clock);
  let demo: Demo | undefined;
  try {
    const url = await hub.app.listen({ host: '127.0.0.1', port: 0 });
    demo = await startDemo(hub, { hubUrl: url, portBase: 0, dataDir, people: options.people ?? 120 });
    const started = demo;
    const internalErrors: string[] = [];
    return {
      hub,
      demo: started,
      url,
      dataDir,
      internalErrors,
      call: async <T>(method: string, path: string, callOptions?: CallOptions) => {
        const result = await call<T>(url, method, path, callOptions);
        if (result.status === 500) internalErrors.push(`${method} ${path}: ${JSON.stringify(result.body)}`);
        return result;
      },
      close: async () => {
        await hub.close();
        await started.close();
        await removeDataDir();
      },
    };
  } catch (error) {
    await demo?.close();
    await hub.close();
    await removeDataDir();
    throw error;
  }
}

async function call<T>(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  } else if (options.rawBody !== undefined) {
    body = options.rawBody;
  }
  Object.assign(headers, options.headers);
  const response = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  const json = /json/.test(type) && text !== '';
  const parsed = (json ? JSON.parse(text) : text) as T;
  return { status: response.status, headers: response.headers, body: parsed };
}

// ---- the demo people, by situation ----

export function leefloonClientInGent(demo: Demo): DemoPerson {
  return pick(demo, (p) => p.leefloon !== null && p.region === 'gent', 'a leefloon recipient in Gent');
}

/** A person OCMW Gent holds no registration for (no leefloon, not under examination in Gent). */
export function personUnknownToOcmwGent(demo: Demo): DemoPerson {
  return pick(
    demo,
    (p) => p.region !== 'gent' || (p.leefloon === null && !p.underExamination),
    'a person without a registration at OCMW Gent',
  );
}

/** A person who moved from one health fund to the other on 2024-01-01. */
export function fundChanger(demo: Demo): DemoPerson {
  return pick(demo, (p) => p.healthFund.length === 2, 'a person who changed health fund');
}

export function pensioner(demo: Demo): DemoPerson {
  return pick(demo, (p) => p.pension !== null, 'a person with a pension');
}

export function pick(demo: Demo, test: (p: DemoPerson) => boolean, what: string): DemoPerson {
  const person = demo.people.find(test);
  assert.ok(person, `the demo network has ${what}`);
  return person;
}

/** The other fund of a person who stayed with one fund. */
export function otherFund(person: DemoPerson): 'cm' | 'solidaris' {
  return person.healthFund[0]!.fund === 'cm' ? 'solidaris' : 'cm';
}

export function kboOf(demo: Demo, key: DemoInstitutionKey): string {
  return demo.file.institutions.find((i) => i.key === key)!.kbo;
}

export function operatorToken(demo: Demo): string {
  return demo.file.operator.token;
}

// ---- the exchange log ----

export async function logRecord(hub: Hub, exchangeId: string): Promise<StoredRecord> {
  const record = await recordByExchangeId(hub.store.db, exchangeId);
  assert.ok(record, `the exchange log holds a record for ${exchangeId}`);
  return record;
}

export interface ExchangeResult {
  readonly result: CallResult;
  readonly record: StoredRecord;
}

/**
 * POST /v1/exchanges, then checks that exactly one log record was added, that it is the one the
 * answer names, and returns it.
 */
export async function postExchange(th: TestHub, options: CallOptions): Promise<ExchangeResult> {
  const before = await logSize(th.hub);
  const result = await th.call<{ exchangeId?: unknown }>('POST', '/v1/exchanges', options);
  assert.equal(await logSize(th.hub), before + 1, 'every attempt adds exactly one log record');
  const { exchangeId } = result.body;
  assert.ok(typeof exchangeId === 'string', `an exchange id in ${JSON.stringify(result.body)}`);
  const record = await logRecord(th.hub, exchangeId);
  assert.equal(record.seq, before + 1, 'the record is the newest in the log');
  return { result, record };
}

/** An exchange that must be forwarded: 200 and the answer. */
export async function expectForwarded(
  th: TestHub,
  options: CallOptions,
): Promise<{ answer: ExchangeAnswer; record: StoredRecord }> {
  const { result, record } = await postExchange(th, options);
  assert.equal(result.status, 200, `forwarded, got ${JSON.stringify(result.body)}`);
  const answer = result.body as ExchangeAnswer;
  assert.equal(answer.status, 'forwarded');
  assert.equal(record.outcome, 'forwarded');
  return { answer, record };
}

/** An exchange that must be refused: the problem (with its exchange id, forwarded false). */
export async function expectRefused(
  th: TestHub,
  options: CallOptions,
  status: number,
  code: string,
): Promise<{ problem: ProblemBody; record: StoredRecord; result: CallResult<ProblemBody> }> {
  const { result, record } = await postExchange(th, options);
  assertProblem(result, status, code);
  assert.equal(result.body.exchangeId, record.exchangeId);
  assert.equal(result.body.forwarded, false);
  assert.equal(record.code, code);
  return { problem: result.body, record, result };
}

export async function logSize(hub: Hub): Promise<number> {
  const row = await hub.store.db
    .selectFrom('exchange_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Checks a problem answer has the RFC 9457 shape every refusal must have. */
export function assertProblem(
  result: CallResult,
  status: number,
  code: string,
): asserts result is CallResult<ProblemBody> {
  const body = result.body as Partial<ProblemBody>;
  assert.equal(result.status, status, `expected ${status} ${code}, got ${JSON.stringify(body)}`);
  assert.match(result.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(body.code, code);
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(body.type, `/problems#${code}`);
}

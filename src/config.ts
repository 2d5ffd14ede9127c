// Configuration, read from the environment once at start-up and validated; a bad value stops the
// hub with a CONFIG_INVALID message naming the variable.
import { resolve } from 'node:path';

export interface HubConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databasePath: string;
  /** A postgres:// URL: the hub's store is that PostgreSQL database (databasePath is then unused). */
  readonly databaseUrl: string | undefined;
  /** Connections in the PostgreSQL pool of each hub node. */
  readonly databasePoolSize: number;
  readonly sourceTimeoutMs: number;
  readonly identityService: string;
  readonly logLevel: string | false;
  readonly rateLimitPerMinute: number;
  readonly operatorToken: string | undefined;
  readonly trustProxy: boolean;
  readonly demoPortBase: number;
  readonly demoPeople: number;
  /** The log's origin line and signing-key name (C2SP tlog-checkpoint). */
  readonly logOrigin: string;
  readonly logKeyPath: string;
  /** How long records may wait for the signed tree before exchanges are refused (fail closed). */
  readonly logFailClosedAfterMs: number;
  /** The hub runs its demo network (`crossroads start --demo`): the demo login is offered. */
  readonly demo: boolean;
  /** The hub's external base URL (no trailing slash); undefined: the address it listens on. */
  readonly publicUrl: string | undefined;
  /** The citizens' OpenID provider; undefined: none (the demo login in demo mode). */
  readonly oidc: OidcConfig | undefined;
  /** The ID-token claim that holds the person's INSZ (`sub`; Belgian FAS: `egovNRN`). */
  readonly oidcInszClaim: string;
  readonly changes: ChangeConfig;
}

export interface ChangeConfig {
  /** NATS server(s) for the JetStream push channel; undefined: in-process relay. */
  readonly natsUrl: string | undefined;
  readonly natsStream: string;
  /** How long JetStream waits for a push worker's ack before it redelivers (e.g. after a crash). */
  readonly natsAckWaitMs: number;
  /** The Ed25519 key that signs pushed events (generated on first start). */
  readonly deliveryKeyPath: string;
  /** A registration ended at most this many days before a change's effective date still counts. */
  readonly graceDays: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Failed push attempts after which a delivery parks as dead. */
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  /** Webhook requests in flight per recipient. */
  readonly concurrency: number;
  /** Most events per request for recipients that take batches. */
  readonly maxBatch: number;
  /** How long a partial batch waits for more events. */
  readonly batchLingerMs: number;
  /** How long a node's claim on a push delivery lasts unrenewed; then another node takes it over. */
  readonly claimMs: number;
}

export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(variable: string, expected: string, got: string) {
    super(`CONFIG_INVALID: ${variable} must be ${expected} (got "${got}")`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface ConfigOptions {
  /** Set by `crossroads start --demo`, not by the environment. */
  readonly demo?: boolean;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env, options: ConfigOptions = {}): HubConfig {
  const dataDir = resolve(env.CROSSROADS_DATA_DIR ?? 'data');
  const logLevel = env.CROSSROADS_LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError('CROSSROADS_LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, logLevel);
  const operatorToken = env.CROSSROADS_OPERATOR_TOKEN;
  if (operatorToken !== undefined && !/^cr\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{32,}$/.test(operatorToken)) {
    throw new ConfigError(
      'CROSSROADS_OPERATOR_TOKEN',
      'of the form cr.<uuid>.<secret of 32+ base64url characters>',
      '…',
    );
  }
  return {
    host: env.CROSSROADS_HOST ?? '127.0.0.1',
    port: integer(env, 'CROSSROADS_PORT', 3000, 0, 65_535),
    dataDir,
    databasePath: resolve(env.CROSSROADS_DB ?? `${dataDir}/crossroads.db`),
    databaseUrl: databaseUrl(env.CROSSROADS_DATABASE_URL),
    databasePoolSize: integer(env, 'CROSSROADS_DATABASE_POOL_SIZE', 10, 1, 1_000),
    sourceTimeoutMs: integer(env, 'CROSSROADS_SOURCE_TIMEOUT_MS', 5_000, 50, 120_000),
    identityService: env.CROSSROADS_IDENTITY_SERVICE ?? 'nr.identity',
    logLevel: logLevel === 'silent' ? false : logLevel,
    rateLimitPerMinute: integer(env, 'CROSSROADS_RATE_LIMIT_PER_MINUTE', 120_000, 1, 100_000_000),
    operatorToken,
    trustProxy: boolean(env, 'CROSSROADS_TRUST_PROXY', false),
    demoPortBase: integer(env, 'CROSSROADS_DEMO_PORT_BASE', 3101, 0, 65_000),
    demoPeople: integer(env, 'CROSSROADS_DEMO_PEOPLE', 1000, 10, 100_000),
    logOrigin: logOrigin(env.CROSSROADS_LOG_ORIGIN ?? 'crossroads.localhost/exchange-log'),
    logKeyPath: resolve(env.CROSSROADS_LOG_KEY ?? `${dataDir}/log-signing-key.pem`),
    logFailClosedAfterMs: integer(env, 'CROSSROADS_LOG_FAIL_CLOSED_AFTER_MS', 300_000, 1_000, 86_400_000),
    demo: options.demo ?? false,
    publicUrl: publicUrl(env.CROSSROADS_PUBLIC_URL),
    oidc: oidcConfig(env),
    oidcInszClaim: claimName(env.CROSSROADS_OIDC_INSZ_CLAIM),
    changes: {
      natsUrl: natsUrl(env.CROSSROADS_NATS_URL),
      natsStream: natsStream(env.CROSSROADS_NATS_STREAM),
      natsAckWaitMs: integer(env, 'CROSSROADS_NATS_ACK_WAIT_MS', 30_000, 1_000, 3_600_000),
      deliveryKeyPath: resolve(env.CROSSROADS_DELIVERY_KEY ?? `${dataDir}/delivery-signing-key.pem`),
      graceDays: integer(env, 'CROSSROADS_CHANGE_GRACE_DAYS', 30, 0, 3_650),
      retryBaseMs: integer(env, 'CROSSROADS_DELIVERY_RETRY_BASE_MS', 1_000, 1, 3_600_000),
      retryMaxMs: integer(env, 'CROSSROADS_DELIVERY_RETRY_MAX_MS', 600_000, 1, 86_400_000),
      maxAttempts: integer(env, 'CROSSROADS_DELIVERY_MAX_ATTEMPTS', 12, 1, 1_000),
      timeoutMs: integer(env, 'CROSSROADS_DELIVERY_TIMEOUT_MS', 10_000, 50, 120_000),
      concurrency: integer(env, 'CROSSROADS_DELIVERY_CONCURRENCY', 8, 1, 256),
      maxBatch: integer(env, 'CROSSROADS_DELIVERY_MAX_BATCH', 100, 1, 1_000),
      batchLingerMs: integer(env, 'CROSSROADS_DELIVERY_BATCH_LINGER_MS', 20, 0, 10_000),
      claimMs: integer(env, 'CROSSROADS_DELIVERY_CLAIM_MS', 30_000, 300, 3_600_000),
    },
  };
}

function natsUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const ok = value
    .split(',')
    .every((server) => /^(nats|tls|wss?):\/\/[^\s/]+$|^[^\s:/]+:\d+$/.test(server.trim()));
  if (!ok)
    throw new ConfigError('CROSSROADS_NATS_URL', 'nats://host:port (comma-separated for several)', value);
  return value;
}

function natsStream(value: string | undefined): string {
  if (value === undefined || value === '') return 'CROSSROADS_DELIVERIES';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
    throw new ConfigError(
      'CROSSROADS_NATS_STREAM',
      'a JetStream stream name (letters, digits, _ and -)',
      value,
    );
  }
  return value;
}

function publicUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || !/^https?:$/.test(url.protocol) || url.search !== '' || url.hash !== '') {
    throw new ConfigError('CROSSROADS_PUBLIC_URL', 'an http(s) URL without query or fragment', value);
  }
  return url.href.replace(/\/+$/, '');
}

/** Plain http is allowed only for a provider on this machine (a test or development provider). */
function oidcConfig(env: NodeJS.ProcessEnv): OidcConfig | undefined {
  const issuer = env.CROSSROADS_OIDC_ISSUER;
  if (issuer === undefined || issuer === '') return undefined;
  const url = URL.canParse(issuer) ? new URL(issuer) : undefined;
  const local = url?.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (!url || (url.protocol !== 'https:' && !local)) {
    throw new ConfigError('CROSSROADS_OIDC_ISSUER', 'an https URL (http only for localhost)', issuer);
  }
  const clientId = env.CROSSROADS_OIDC_CLIENT_ID ?? '';
  if (clientId === '') throw new ConfigError('CROSSROADS_OIDC_CLIENT_ID', 'set when an issuer is', '');
  const clientSecret = env.CROSSROADS_OIDC_CLIENT_SECRET ?? '';
  if (clientSecret === '')
    throw new ConfigError('CROSSROADS_OIDC_CLIENT_SECRET', 'set when an issuer is', '');
  return { issuer, clientId, clientSecret };
}

function claimName(value: string | undefined): string {
  if (value === undefined || value === '') return 'sub';
  if (!/^[A-Za-z_][A-Za-z0-9_:.-]{0,99}$/.test(value)) {
    throw new ConfigError('CROSSROADS_OIDC_INSZ_CLAIM', 'a claim name such as sub or egovNRN', value);
  }
  return value;
}

/** C2SP: the origin is a schema-less URL, and it doubles as the signing key's name (no spaces or +). */
function logOrigin(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.\-/_:]*$/.test(value)) {
    throw new ConfigError(
      'CROSSROADS_LOG_ORIGIN',
      'a schema-less URL such as hub.example.be/exchange-log',
      value,
    );
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, 'true or false', raw);
  return raw === 'true';
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  }
  return value;
}

function databaseUrl(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^postgres(ql)?:\/\/[^\s]+$/i.test(value)) {
    throw new ConfigError(
      'CROSSROADS_DATABASE_URL',
      'a postgres:// connection URL',
      value.replace(/:[^:@/]*@/, ':***@'),
    );
  }
  return value;
}

/** How to open the hub's store from its configuration (PostgreSQL when a URL is set). */
export function storeOptions(config: Pick<HubConfig, 'databasePath' | 'databaseUrl' | 'databasePoolSize'>) {
  return config.databaseUrl === undefined
    ? { path: config.databasePath }
    : { url: config.databaseUrl, poolSize: config.databasePoolSize };
}

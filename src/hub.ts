// The composition root: opens the store and wires every capability into one running hub.
import type { FastifyInstance } from 'fastify';
import { AuthorisationRegister, authorisationRoutes } from './authz/index.ts';
import { citizenRoutes } from './citizen/index.ts';
import { type HubConfig, storeOptions } from './config.ts';
import { PersonsDirectory, RegistryIdentitySource, directoryRoutes } from './directory/index.ts';
import { generatePeople } from './demo/index.ts';
import { Broker, exchangeRoutes } from './exchange/index.ts';
import { HubMetrics, type OperationsSources, buildServer, operationsRoutes } from './http/index.ts';
import { type Clock, systemClock } from './kernel/index.ts';
import { ExchangeLog, LogTree, type LogSigningKey, loadOrCreateSigningKey, logRoutes } from './log/index.ts';
import { ChangePush, changeRoutes, loadOrCreateDeliveryKey } from './mutations/index.ts';
import { NetworkRegistry, SourceClient, networkRoutes } from './network/index.ts';
import { type Store, listenForCacheChanges, openStore, pendingMigrations } from './store/index.ts';

export const VERSION = '0.1.0';

export interface Hub {
  readonly config: HubConfig;
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly registry: NetworkRegistry;
  readonly directory: PersonsDirectory;
  readonly authorisations: AuthorisationRegister;
  readonly log: ExchangeLog;
  /** The signed Merkle tree over the log: checkpoints and proofs. */
  readonly tree: LogTree;
  readonly logKey: LogSigningKey;
  readonly broker: Broker;
  readonly sources: SourceClient;
  /** Change push: intake, subscriptions, outbox relay and delivery. */
  readonly changes: ChangePush;
  readonly clock: Clock;
  /** Stops taking requests, finishes those in flight, flushes the log, closes the store. */
  close(): Promise<void>;
}

export async function createHub(config: HubConfig, clock: Clock = systemClock): Promise<Hub> {
  // What is open so far, closed in reverse if a later step fails (else the process would hang).
  const opened: (() => Promise<void>)[] = [];
  try {
    return await assemble(config, clock, opened);
  } catch (error) {
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

async function assemble(config: HubConfig, clock: Clock, opened: (() => Promise<void>)[]): Promise<Hub> {
  const store = await openStore(storeOptions(config));
  opened.push(() => store.close());
  const registry = await NetworkRegistry.load(store.db, clock);
  const authorisations = await AuthorisationRegister.load(store.db, registry, clock);
  const logKey = loadOrCreateSigningKey(config.logKeyPath, config.logOrigin);
  const log = await ExchangeLog.open(store, {
    origin: logKey.origin,
    privateKeyPem: logKey.privateKeyPem,
    clock,
    failClosedAfterMs: config.logFailClosedAfterMs,
  });
  opened.push(() => log.close());
  const tree = new LogTree(store);
  const sources = new SourceClient({ timeoutMs: config.sourceTimeoutMs });
  opened.push(() => sources.close());
  const identity = new RegistryIdentitySource({
    registry,
    client: sources,
    log,
    serviceId: config.identityService,
    clock,
  });
  const directory = new PersonsDirectory(store, registry, identity, clock);
  // The process log is the server's; the broker reports faults of the hub itself to it.
  const faults = { report: (_error: unknown): void => undefined };
  const broker = new Broker({
    registry,
    directory,
    authorisations,
    log,
    sources,
    clock,
    onInternalError: (error) => faults.report(error),
  });

  const changes = await ChangePush.open({
    store,
    registry,
    authorisations,
    log,
    clock,
    key: loadOrCreateDeliveryKey(config.changes.deliveryKeyPath),
    eventSource: config.publicUrl ?? `urn:crossroads:hub:${logKey.origin.split('/')[0]!}`,
    graceDays: config.changes.graceDays,
    retry: {
      baseMs: config.changes.retryBaseMs,
      maxMs: config.changes.retryMaxMs,
      maxAttempts: config.changes.maxAttempts,
    },
    timeoutMs: config.changes.timeoutMs,
    concurrency: config.changes.concurrency,
    maxBatch: config.changes.maxBatch,
    lingerMs: config.changes.batchLingerMs,
    claimMs: config.changes.claimMs,
    natsUrl: config.changes.natsUrl,
    natsStream: config.changes.natsStream,
    natsAckWaitMs: config.changes.natsAckWaitMs,
    onInternalError: (error) => faults.report(error),
  });
  opened.push(() => changes.close());

  // Several nodes on one PostgreSQL database: what another node changes reaches this one's caches.
  // One function per cache, so the listener runs one reload of it at a time.
  const reloadRegistry = () => registry.reload();
  const reloadSubscriptions = () => changes.subscriptions.reload();
  const cacheListener = await listenForCacheChanges(
    store,
    {
      institutions: reloadRegistry,
      capacities: reloadRegistry,
      services: reloadRegistry,
      credentials: reloadRegistry,
      authorisations: () => authorisations.reload(),
      subscriptions: reloadSubscriptions,
      delivery_settings: reloadSubscriptions,
    },
    (error) => faults.report(error),
  );
  opened.push(() => cacheListener.close());
  // What another node changed after the caches were loaded and before LISTEN began.
  if (store.url !== undefined)
    await Promise.all([reloadRegistry(), authorisations.reload(), reloadSubscriptions()]);

  const operations: OperationsSources = {
    readiness: async () => {
      const database = await pendingMigrations(store.db).then(
        (pending) => ({
          ok: pending.length === 0,
          ...(pending.length > 0 ? { detail: `migrations not run: ${pending.join(', ')}` } : {}),
        }),
        (error: unknown) => ({ ok: false, detail: `database unreachable: ${String(error)}` }),
      );
      const waiting = Math.max(0, log.size - log.treeSize);
      return {
        database,
        logSequencer: log.available()
          ? {
              ok: true,
              detail: `${log.sequencerLeader ? 'this node leads the sequencer' : 'another node leads the sequencer'}; ${waiting} record(s) waiting for the signed tree`,
            }
          : { ok: false, detail: log.integrationError ?? 'records wait too long for the signed tree' },
      };
    },
    log: () => ({ records: log.size, treeSize: log.treeSize }),
    checkpointAgeSeconds: async () => {
      const latest = await tree.latestCheckpoint();
      return latest ? (clock.now().getTime() - Date.parse(latest.createdAt)) / 1000 : null;
    },
    ...(store.pool
      ? {
          pool: () => ({
            total: store.pool!.totalCount,
            idle: store.pool!.idleCount,
            waiting: store.pool!.waitingCount,
          }),
        }
      : {}),
    deliveries: async () => {
      const b = await changes.ledger.backlog();
      return { pendingPush: b.pending.push, pendingPull: b.pending.pull, dead: b.dead };
    },
  };
  const metrics = new HubMetrics(operations);
  log.observe((record) => metrics.observe(record));

  const app = await buildServer({
    registry,
    logLevel: config.logLevel,
    rateLimitPerMinute: config.rateLimitPerMinute,
    version: VERSION,
    trustProxy: config.trustProxy,
    routes: [
      networkRoutes(registry),
      authorisationRoutes(authorisations),
      directoryRoutes(directory),
      exchangeRoutes({ broker, registry, authorisations, store, clock }),
      logRoutes({ store, tree, log, logKey, clock }),
      changeRoutes({ push: changes, registry }),
      operationsRoutes(metrics, operations),
      citizenRoutes({
        config,
        store,
        tree,
        logKey,
        registry,
        authorisations,
        clock,
        demoPeople: () => generatePeople(config.demoPeople),
      }),
    ],
  });

  faults.report = (error) => app.log.error({ err: error }, 'an exchange failed inside the hub');

  let closed: Promise<void> | undefined;
  return {
    config,
    app,
    store,
    registry,
    directory,
    authorisations,
    log,
    tree,
    logKey,
    broker,
    sources,
    changes,
    clock,
    close: () =>
      (closed ??= (async () => {
        await app.close();
        await cacheListener.close();
        await changes.close();
        await log.close();
        await sources.close();
        await store.close();
      })()),
  };
}

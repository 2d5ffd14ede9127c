// What an operator's monitoring reads: readiness (/ready, for the load balancer) and Prometheus
// metrics (/metrics). The figures come from the capabilities through the callbacks the
// composition root passes in, so this module knows no store, log or outbox of its own.
import type { FastifyPluginAsync } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One exchange-log record, as the metrics see it. */
export interface ObservedRecord {
  readonly kind: string;
  readonly service: string | null;
  readonly outcome: string;
  readonly decision: 'permit' | 'deny' | null;
  readonly code: string | null;
  readonly durationMs: number;
}

export interface ReadinessCheck {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface OperationsSources {
  /** Each named check; the hub is ready when all pass. */
  readonly readiness: () => Promise<Record<string, ReadinessCheck>>;
  readonly log: () => { records: number; treeSize: number };
  /** Seconds since the latest signed checkpoint (null before the first): one read per scrape. */
  readonly checkpointAgeSeconds: () => Promise<number | null>;
  readonly deliveries: () => Promise<{
    pendingPush: number;
    pendingPull: number;
    dead: number;
  }>;
  /** The PostgreSQL pool's connections (absent on SQLite, which has no pool). */
  readonly pool?: () => { total: number; idle: number; waiting: number };
}

export class HubMetrics {
  readonly registry = new Registry();
  readonly #exchanges: Counter<'kind' | 'service' | 'outcome'>;
  readonly #latency: Histogram<'service' | 'outcome'>;
  readonly #denials: Counter<'code'>;

  constructor(sources: Omit<OperationsSources, 'readiness'>) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'crossroads_' });
    this.#exchanges = new Counter({
      name: 'crossroads_exchanges_total',
      help: 'Exchange-log records by kind (exchange, identity-check, change), data service and outcome',
      labelNames: ['kind', 'service', 'outcome'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'crossroads_exchange_duration_seconds',
      help: 'Time from a brokered exchange’s arrival to its answer, by data service and outcome',
      labelNames: ['service', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#denials = new Counter({
      name: 'crossroads_decision_denials_total',
      help: 'Exchanges refused by the decision, by reason code',
      labelNames: ['code'],
      registers,
    });
    const log = sources.log;
    new Gauge({
      name: 'crossroads_log_records',
      help: 'Records committed to the exchange log',
      registers,
      collect() {
        this.set(log().records);
      },
    });
    new Gauge({
      name: 'crossroads_log_tree_size',
      help: 'Records in the latest signed checkpoint',
      registers,
      collect() {
        this.set(log().treeSize);
      },
    });
    new Gauge({
      name: 'crossroads_log_checkpoint_age_seconds',
      help: 'Age of the latest signed checkpoint (absent before the first)',
      registers,
      async collect() {
        const age = await sources.checkpointAgeSeconds();
        if (age !== null) this.set(age);
      },
    });
    const deliveries = sources.deliveries;
    new Gauge({
      name: 'crossroads_deliveries_backlog',
      help: 'Change deliveries not yet delivered, by state (pending push, pending pull, dead)',
      labelNames: ['state'],
      registers,
      async collect() {
        const b = await deliveries();
        this.set({ state: 'pending_push' }, b.pendingPush);
        this.set({ state: 'pending_pull' }, b.pendingPull);
        this.set({ state: 'dead' }, b.dead);
      },
    });
    const pool = sources.pool;
    if (pool)
      new Gauge({
        name: 'crossroads_database_pool_connections',
        help: 'PostgreSQL pool connections: open in all, idle, and requests waiting for one',
        labelNames: ['state'],
        registers,
        collect() {
          const p = pool();
          this.set({ state: 'total' }, p.total);
          this.set({ state: 'idle' }, p.idle);
          this.set({ state: 'waiting' }, p.waiting);
        },
      });
  }

  /** Counts one exchange-log record (called as each is appended). */
  observe(record: ObservedRecord): void {
    const service = record.service ?? 'none';
    this.#exchanges.inc({ kind: record.kind, service, outcome: record.outcome });
    if (record.kind === 'exchange') {
      this.#latency.observe({ service, outcome: record.outcome }, record.durationMs / 1000);
      if (record.decision === 'deny' && record.code) this.#denials.inc({ code: record.code });
    }
  }
}

export function operationsRoutes(metrics: HubMetrics, sources: OperationsSources): FastifyPluginAsync {
  return async (app) => {
    let draining = false;
    app.addHook('preClose', (done) => {
      draining = true;
      done();
    });

    app.get(
      '/ready',
      {
        schema: {
          tags: ['health'],
          summary: 'Readiness: database reachable, migrations current, log sequencer keeping up',
          response: {
            200: { type: 'object', additionalProperties: true },
            503: { type: 'object', additionalProperties: true },
          },
        },
      },
      async (_request, reply) => {
        const checks = draining
          ? { shutdown: { ok: false, detail: 'shutting down' } }
          : await sources.readiness();
        const ready = Object.values(checks).every((c) => c.ok);
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
      },
    );

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    });
  };
}

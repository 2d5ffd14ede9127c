// The JetStream push channel: the relay publishes each push delivery to a stream (deduplicated by
// delivery id) and every hub node reads the stream's durable consumer, handing deliveries to its
// push workers. A message is acked only once the store has recorded the delivery as finished, so
// a node that stops leaves its unfinished deliveries in the stream for another node.
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { OutgoingDelivery } from './ledger.ts';
import type { PushWorkers } from './push.ts';
import type { PushChannel } from './relay.ts';

export interface NatsChannelOptions {
  /** One or more servers, comma-separated. */
  readonly servers: string;
  readonly workers: PushWorkers;
  readonly onError: (error: unknown) => void;
  /** Stream name; hubs sharing a NATS server keep apart by using different ones. */
  readonly stream?: string;
  /** How long JetStream waits for an ack before redelivering (default 30 s). */
  readonly ackWaitMs?: number;
}

const CONSUMER = 'push-workers';
/** What a message carries: an OutgoingDelivery's fields and their types. */
const FIELDS: Record<keyof OutgoingDelivery, 'number' | 'string'> = {
  seq: 'number',
  id: 'string',
  recipientId: 'string',
  insz: 'string',
  event: 'string',
  attempts: 'number',
};
/** Publishes awaiting their PubAck at once. */
const IN_FLIGHT = 256;
/** A message nobody acked in this long is dropped (far beyond any retry schedule); the store stays
 * the record, and the relay re-enqueues pending deliveries when it starts. */
const MAX_AGE_MS = 7 * 24 * 3600_000;

export class NatsPushChannel implements PushChannel {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #subject: string;
  readonly #workers: PushWorkers;
  readonly #onError: (error: unknown) => void;
  /** Messages handed to the workers and not yet acked; a redelivery joins the first copy. */
  readonly #outstanding = new Map<string, JsMsg[]>();
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(nc: NatsConnection, subject: string, options: NatsChannelOptions) {
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#subject = subject;
    this.#workers = options.workers;
    this.#onError = options.onError;
  }

  static async connect(options: NatsChannelOptions): Promise<NatsPushChannel> {
    const stream = options.stream ?? 'CROSSROADS_DELIVERIES';
    const ackWaitMs = options.ackWaitMs ?? 30_000;
    // One subject token per stream: `a_b.>` and `a.>` cannot overlap (JetStream refuses overlaps).
    const subject = stream.toLowerCase();
    const nc = await connect({ servers: serverList(options.servers), name: 'crossroads-push' });
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, stream, subject);
      await ensureConsumer(jsm, stream, ackWaitMs);
      const channel = new NatsPushChannel(nc, subject, options);
      void nc.closed().then((error) => error && options.onError(error));
      const consumer = await channel.#js.consumers.get(stream, CONSUMER);
      channel.#start(await consumer.consume({ max_messages: 256 }), Math.min(10_000, ackWaitMs / 3));
      return channel;
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /**
   * Resolves once JetStream has stored every delivery (or already had it: same id). `again`: a
   * replay, which must not be dropped as a duplicate of the first publish.
   */
  async enqueue(deliveries: readonly OutgoingDelivery[], options: { again?: boolean } = {}): Promise<void> {
    const suffix = options.again ? `/again-${Date.now()}` : '';
    let next = 0;
    let failed = false;
    const publisher = async (): Promise<void> => {
      while (!failed && next < deliveries.length) {
        const d = deliveries[next++]!;
        // Only the delivery's own fields (a PushItem also carries its callback).
        const body = JSON.stringify(d, Object.keys(FIELDS));
        try {
          await this.#js.publish(`${this.#subject}.${token(d.recipientId)}`, body, { msgID: d.id + suffix });
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, deliveries.length) }, publisher));
  }

  /** Stops consuming and sending; what is not finished goes back to the stream for another node. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#messages?.close();
    await this.#loop;
    // The timer runs on while in-flight requests finish, so their messages are not redelivered.
    await this.#workers.close();
    clearInterval(this.#timer);
    // Unfinished messages stay un-acked: JetStream redelivers them after ack_wait.
    this.#outstanding.clear();
    await this.#nc.drain();
  }

  #start(messages: ConsumerMessages, workingMs: number): void {
    this.#messages = messages;
    this.#timer = setInterval(() => {
      for (const msgs of this.#outstanding.values()) for (const msg of msgs) msg.working();
    }, workingMs);
    this.#timer.unref();
    this.#loop = (async () => {
      for await (const msg of messages) this.#receive(msg);
    })().catch((error: unknown) => {
      if (!this.#closed) this.#onError(error);
    });
  }

  #receive(msg: JsMsg): void {
    let delivery: OutgoingDelivery;
    try {
      delivery = parse(msg);
    } catch (error) {
      this.#onError(new Error(`malformed push message ${msg.seq} on ${msg.subject}`, { cause: error }));
      msg.term(); // no reason: servers before 2.11 ignore a '+TERM reason'
      return;
    }
    const copies = this.#outstanding.get(delivery.id);
    if (copies) {
      copies.push(msg);
      return;
    }
    this.#outstanding.set(delivery.id, [msg]);
    this.#workers.add([
      {
        ...delivery,
        settled: (outcome) => {
          // A failure to be retried stays outstanding: the workers retry it here.
          if (outcome !== 'released' && !outcome.delivered && !outcome.dead) return;
          for (const copy of this.#outstanding.get(delivery.id) ?? []) copy.ack();
          this.#outstanding.delete(delivery.id);
        },
      },
    ]);
  }
}

/** Removes a stream and its consumer (tests clean up with it); a missing stream is fine. */
export async function deleteNatsStream(servers: string, stream: string): Promise<void> {
  const nc = await connect({ servers: serverList(servers) });
  try {
    await (await jetstreamManager(nc)).streams.delete(stream);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
  } finally {
    await nc.close();
  }
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string): Promise<void> {
  try {
    await jsm.streams.info(name);
    return;
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
  }
  // Another node creating it at the same moment is fine: an identical add succeeds.
  await jsm.streams.add({
    name,
    subjects: [`${subject}.>`],
    storage: StorageType.File,
    // Work queue: an acked message is removed, so the stream holds only what is outstanding.
    retention: RetentionPolicy.Workqueue,
    duplicate_window: nanos(120_000),
    max_age: nanos(MAX_AGE_MS),
  });
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, ackWaitMs: number): Promise<void> {
  const tuning = { ack_wait: nanos(ackWaitMs), max_ack_pending: 20_000 };
  const info = await jsm.consumers.info(stream, CONSUMER).catch((error: unknown) => {
    if (isApiError(error, JetStreamApiCodes.ConsumerNotFound)) return undefined;
    throw error;
  });
  if (!info) {
    const config = {
      durable_name: CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
    };
    await jsm.consumers.add(stream, { ...config, ...tuning });
  } else if (
    info.config.ack_wait !== tuning.ack_wait ||
    info.config.max_ack_pending !== tuning.max_ack_pending
  ) {
    await jsm.consumers.update(stream, CONSUMER, tuning);
  }
}

function parse(msg: JsMsg): OutgoingDelivery {
  const v = msg.json<Record<string, unknown> | null>();
  for (const [field, type] of Object.entries(FIELDS)) {
    if (typeof v?.[field] !== type) throw new Error(`no ${type} ${field}: not an outgoing delivery`);
  }
  return Object.fromEntries(Object.keys(FIELDS).map((f) => [f, v![f]])) as unknown as OutgoingDelivery;
}

/** A recipient id as one subject token (no dots, wildcards or spaces). */
function token(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_');
}

function serverList(servers: string): string[] {
  return servers.split(',').map((s) => s.trim());
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

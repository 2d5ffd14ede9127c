// The outbox relay: takes accepted changes from the store, writes one exchange-log record per
// delivery (committed before anything leaves the hub), marks the change logged — which opens its
// pull deliveries to the recipients' feeds — and hands its push deliveries to the push channel:
// the in-process workers, or NATS JetStream. It runs when a change is accepted and every second,
// and on start it picks up whatever a previous process left half done.
import type { ExchangeLog, ExchangeRecord } from '../log/index.ts';
import type { NetworkRegistry } from '../network/index.ts';
import type { ChangeRow, DeliveryLedger, DeliveryRow, OutgoingDelivery } from './ledger.ts';

/** Where push deliveries go once logged. */
export interface PushChannel {
  /**
   * In order; a delivery may be handed over more than once (after a restart). `again`: a replay
   * or a move back from the pull feed, which a channel must not drop as a duplicate.
   */
  enqueue(deliveries: readonly OutgoingDelivery[], options?: { again?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface RelayOptions {
  readonly ledger: DeliveryLedger;
  readonly log: ExchangeLog;
  readonly registry: NetworkRegistry;
  readonly channel: PushChannel;
  readonly pollMs?: number;
  /** Changes logged per round. */
  readonly batchChanges?: number;
  readonly onError: (error: unknown) => void;
}

export class ChangeRelay {
  readonly #options: RelayOptions;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Changes up to this seq were left unlogged by an earlier process: check for records first. */
  #recoverUpTo = 0;
  #idleWaiters: (() => void)[] = [];

  constructor(options: RelayOptions) {
    this.#options = options;
  }

  /** Recovers what an earlier process left, then relays as changes arrive. */
  async start(): Promise<void> {
    this.#recoverUpTo = await this.#options.ledger.lastUnloggedSeq();
    await this.#round();
    // Push deliveries logged earlier but never delivered (the process stopped first). Over JetStream
    // a copy still in the stream is dropped as a duplicate within its window; the stream then
    // redelivers the one the stopped process held once its ack wait runs out.
    for (let after = 0; ;) {
      const page = await this.#options.ledger.pendingPush(after, 5_000);
      if (page.length === 0) break;
      await this.#options.channel.enqueue(page);
      after = page.at(-1)!.seq;
    }
    this.#schedule();
  }

  /** A change was accepted: relay it now. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#round()
      .catch((error: unknown) => this.#options.onError(error))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        } else {
          for (const resolve of this.#idleWaiters.splice(0)) resolve();
        }
      });
  }

  /** Resolves when everything accepted so far has been logged and handed over. */
  async idle(): Promise<void> {
    if (!this.#running) return;
    await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.wake();
      this.#schedule();
    }, this.#options.pollMs ?? 1000);
    this.#timer.unref();
  }

  async #round(): Promise<void> {
    const { ledger, log } = this.#options;
    for (;;) {
      // Fail closed: nothing leaves the hub while its log cannot take records.
      if (!log.available()) return;
      const changes = await ledger.unloggedChanges(this.#options.batchChanges ?? 200);
      if (changes.length === 0) return;
      const deliveries = await ledger.deliveriesOf(changes.map((c) => c.seq));
      const bySeq = new Map(changes.map((c) => [c.seq, c]));
      let toLog = deliveries;
      if (changes[0]!.seq <= this.#recoverUpTo) {
        const logged = await ledger.alreadyLogged(deliveries.map((d) => d.id));
        toLog = deliveries.filter((d) => !logged.has(d.id));
      }
      await Promise.all(toLog.map((d) => log.append(this.#record(bySeq.get(d.change_seq)!, d))));
      await ledger.markLogged(changes.map((c) => c.seq));
      const push = deliveries.filter((d) => d.mode === 'push').map(toOutgoing);
      if (push.length > 0) await this.#options.channel.enqueue(push);
    }
  }

  /** The exchange-log record of one delivery: the recipient received the change from its source. */
  #record(change: ChangeRow, delivery: DeliveryRow): ExchangeRecord {
    const registry = this.#options.registry;
    const kbo = (id: string): string => registry.institutionById(id)?.kbo ?? id;
    return {
      kind: 'change',
      exchangeId: delivery.id,
      time: change.received_at,
      caller: kbo(delivery.recipient_id),
      endUser: null,
      caseReference: null,
      person: delivery.insz,
      service: change.service,
      serviceVersion: change.service_version,
      purpose: delivery.purpose,
      period: { start: change.effective_date, end: null },
      decision: 'permit',
      code: null,
      reason: null,
      authorisation: { ref: delivery.authorisation_ref, version: delivery.authorisation_version },
      registrations: JSON.parse(delivery.registrations) as string[],
      providers: [kbo(change.source_id)],
      fields: JSON.parse(delivery.fields) as string[],
      outcome: 'forwarded',
      durationMs: 0,
    };
  }
}

function toOutgoing(d: DeliveryRow): OutgoingDelivery {
  return {
    seq: d.seq,
    id: d.id,
    recipientId: d.recipient_id,
    insz: d.insz,
    event: d.event,
    attempts: d.attempts,
  };
}

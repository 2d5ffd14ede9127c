// The outbox relay: hands committed push deliveries to the push channel — the in-process workers,
// or NATS JetStream. A change, its deliveries and their log records commit together (outbox.ts),
// so the relay only has to make sure every pending push delivery reaches the channel: as each
// change commits, and on start for whatever a stopped process left pending. A hand-over that
// fails (JetStream unreachable) is retried; the rows stay pending meanwhile.
import type { DeliveryLedger, OutgoingDelivery } from './ledger.ts';

/** Where push deliveries go once committed. */
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
  readonly channel: PushChannel;
  /** First wait before handing over again after a failure (doubles up to 30 s). */
  readonly retryMs?: number;
  readonly onError: (error: unknown) => void;
  /** SQLite: this is the only process, so every claim a stopped one left is void at start. */
  readonly singleNode?: boolean;
}

export class ChangeRelay {
  readonly #options: RelayOptions;
  /** Hand-overs in order: a later change's deliveries never overtake an earlier one's. */
  #chain: Promise<void> = Promise.resolve();
  #failed: OutgoingDelivery[] = [];
  /** Handed over, not yet given to the channel. */
  #waiting: OutgoingDelivery[] = [];
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs: number;
  #stopped = false;
  #sweepTimer: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;

  constructor(options: RelayOptions) {
    this.#options = options;
    this.#retryMs = options.retryMs ?? 500;
  }

  /**
   * Hands over the push deliveries a previous process left pending, then keeps this node's claims
   * alive and takes over, every third of a claim's life, what a node that died left behind.
   */
  async start(): Promise<void> {
    // Over JetStream a copy still in the stream is dropped as a duplicate within its window; the
    // stream redelivers the one the stopped process held once its ack wait runs out.
    await this.#takeUnheld(this.#options.singleNode === true);
    const every = Math.max(50, Math.floor(this.#options.ledger.claim.ms / 3));
    this.#sweepTimer = setInterval(() => {
      this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = undefined));
    }, every);
    this.#sweepTimer.unref();
  }

  async #sweep(): Promise<void> {
    try {
      await this.#options.ledger.renewClaims();
      await this.#takeUnheld(false);
    } catch (error) {
      this.#options.onError(error);
    }
  }

  async #takeUnheld(all: boolean): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const page = await this.#options.ledger.claimUnheld(5_000, all);
      if (page.length === 0) return;
      this.handOver(page);
      await this.#chain;
    }
  }

  /**
   * Deliveries of a change that just committed. Those handed over while the channel is still busy
   * with earlier ones go together in its next call (one round of JetStream acks for many changes).
   */
  handOver(deliveries: readonly OutgoingDelivery[]): void {
    if (this.#stopped) return;
    const start = this.#waiting.length === 0;
    this.#waiting.push(...deliveries);
    if (start) this.#chain = this.#chain.then(() => this.#enqueue(this.#waiting.splice(0)));
  }

  /** Stops handing over; `release` (once the workers stopped) lets another node take what is left. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearInterval(this.#sweepTimer);
    await this.#sweeping;
    await this.#chain;
  }

  async release(): Promise<void> {
    await this.#options.ledger.releaseClaims();
  }

  async #enqueue(deliveries: readonly OutgoingDelivery[]): Promise<void> {
    // Behind deliveries waiting for a retry: order is kept.
    if (this.#failed.length > 0) {
      this.#failed.push(...deliveries);
      return;
    }
    try {
      await this.#options.channel.enqueue(deliveries);
      this.#retryMs = this.#options.retryMs ?? 500;
    } catch (error) {
      this.#options.onError(error);
      this.#failed.push(...deliveries);
      this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const again = this.#failed.splice(0);
      this.#retryMs = Math.min(30_000, this.#retryMs * 2);
      this.handOver(again);
    }, this.#retryMs);
    this.#retryTimer.unref();
  }
}

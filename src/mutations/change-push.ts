// Change push, assembled: intake and outbox, subscriptions, the relay and the push channel
// (in-process workers, or NATS JetStream when CROSSROADS_NATS_URL is set).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AuthorisationRegister } from '../authz/index.ts';
import { type Clock, today } from '../kernel/index.ts';
import type { ExchangeLog } from '../log/index.ts';
import type { Actor, NetworkRegistry } from '../network/index.ts';
import type { Store } from '../store/index.ts';
import type { DeliveryKey } from './delivery-key.ts';
import { DeliveryLedger, type OutgoingDelivery } from './ledger.ts';
import { NatsPushChannel } from './nats.ts';
import { ChangeOutbox } from './outbox.ts';
import { PushWorkers } from './push.ts';
import { ChangeRelay, type PushChannel } from './relay.ts';
import { type RetryPolicy, type Subscription, subscriptionAuthorised } from './rules.ts';
import { type DeliverySettings, SubscriptionBook } from './subscriptions.ts';

export interface ChangePushOptions {
  readonly store: Store;
  readonly registry: NetworkRegistry;
  readonly authorisations: AuthorisationRegister;
  readonly log: ExchangeLog;
  readonly clock: Clock;
  readonly key: DeliveryKey;
  readonly eventSource: string;
  readonly graceDays: number;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly maxBatch: number;
  readonly lingerMs: number;
  /** NATS server(s) for the JetStream channel; undefined: in-process. */
  readonly natsUrl: string | undefined;
  readonly natsStream?: string;
  readonly natsAckWaitMs?: number;
  readonly onInternalError: (error: unknown) => void;
  /** This hub node's name (default: host, process id and a random suffix). */
  readonly node?: string;
  /** How long a node's claim on a push delivery lasts without renewal (another node then takes it). */
  readonly claimMs?: number;
}

export class ChangePush {
  readonly outbox: ChangeOutbox;
  readonly ledger: DeliveryLedger;
  readonly subscriptions: SubscriptionBook;
  readonly workers: PushWorkers;
  readonly relay: ChangeRelay;
  readonly key: DeliveryKey;
  readonly #channel: PushChannel;
  readonly #options: ChangePushOptions;

  private constructor(
    options: ChangePushOptions,
    subscriptions: SubscriptionBook,
    ledger: DeliveryLedger,
    workers: PushWorkers,
    channel: PushChannel,
  ) {
    this.subscriptions = subscriptions;
    this.ledger = ledger;
    this.workers = workers;
    this.key = options.key;
    this.#channel = channel;
    this.#options = options;
    this.outbox = new ChangeOutbox({
      ...options,
      subscriptions,
      claim: () => ledger.freshClaim(),
      retake: (changeId) => ledger.retakeChange(changeId),
    });
    this.relay = new ChangeRelay({
      ledger,
      channel,
      onError: options.onInternalError,
      singleNode: options.store.dialect === 'sqlite',
    });
    this.outbox.onAccepted((push) => this.relay.handOver(push));
  }

  static async open(options: ChangePushOptions): Promise<ChangePush> {
    const subscriptions = await SubscriptionBook.load(options.store.db, options.registry, options.clock);
    const ledger = new DeliveryLedger(options.store, options.log, () => options.clock.now().toISOString(), {
      node: options.node ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      ms: options.claimMs ?? 30_000,
    });
    const workers = new PushWorkers({
      ledger,
      settings: (id) => subscriptions.settings(id),
      key: options.key,
      retry: options.retry,
      timeoutMs: options.timeoutMs,
      concurrency: options.concurrency,
      maxBatch: options.maxBatch,
      lingerMs: options.lingerMs,
      onInternalError: options.onInternalError,
    });
    const channel: PushChannel = options.natsUrl
      ? await NatsPushChannel.connect({
          servers: options.natsUrl,
          workers,
          onError: options.onInternalError,
          ...(options.natsStream ? { stream: options.natsStream } : {}),
          ...(options.natsAckWaitMs ? { ackWaitMs: options.natsAckWaitMs } : {}),
        })
      : inProcess(workers);
    const push = new ChangePush(options, subscriptions, ledger, workers, channel);
    try {
      await push.relay.start();
    } catch (error) {
      await channel.close();
      throw error;
    }
    return push;
  }

  /** Sets how an institution takes its changes; its waiting deliveries follow the new setting. */
  async setDelivery(
    institutionId: string,
    settings: DeliverySettings,
    actor: Actor,
  ): Promise<DeliverySettings> {
    const stored = await this.subscriptions.setSettings(institutionId, settings, actor, (trx) =>
      this.ledger.switchMode(trx, institutionId, settings.mode),
    );
    // A change that read the old setting just before it changed commits after that transaction;
    // the writer takes this after it, so its deliveries move too.
    await this.ledger.moveWaiting(institutionId, settings.mode);
    if (settings.mode === 'push') await this.requeue(institutionId);
    return stored;
  }

  /** Hands the recipient's waiting push deliveries to the channel (after it switched to push). */
  async requeue(recipientId: string): Promise<void> {
    for (let after = 0; ;) {
      const page = await this.ledger.pendingPush(after, 5_000, recipientId);
      if (page.length === 0) return;
      await this.#channel.enqueue(page, { again: true });
      after = page.at(-1)!.seq;
    }
  }

  /** Whether an authorisation in force now lets the institution receive what it subscribed to. */
  authorised(institutionId: string, subscription: Subscription): boolean {
    const institution = this.#options.registry.institutionById(institutionId);
    if (!institution) return false;
    return subscriptionAuthorised(
      subscription,
      institution,
      this.#options.authorisations.latest(),
      today(this.#options.clock),
    );
  }

  /** Puts dead deliveries back in line and sends the push ones again. */
  async replay(select: { ids: readonly string[] } | { recipientId: string }): Promise<number> {
    const { replayed, push } = await this.ledger.replay(select);
    if (push.length > 0) await this.#channel.enqueue(push, { again: true });
    return replayed;
  }

  async close(): Promise<void> {
    await this.relay.stop();
    await this.#channel.close();
    // What is still pending (a retry not yet due) goes to another node at once.
    await this.relay.release().catch(this.#options.onInternalError);
  }
}

function inProcess(workers: PushWorkers): PushChannel {
  return {
    enqueue: (deliveries: readonly OutgoingDelivery[]) => {
      workers.add(deliveries);
      return Promise.resolve();
    },
    close: () => workers.close(),
  };
}

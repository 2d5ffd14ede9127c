// Push workers: POST each delivery to its recipient's webhook as a signed CloudEvent, retrying
// with exponential backoff and jitter, in order per (recipient, person): a person's next change is
// sent only once the previous one has been delivered or has parked as dead. Different people's
// changes go out side by side, a few requests at a time per recipient (or several events per
// request when the recipient asked for CloudEvents batches).
import type { KeyObject } from 'node:crypto';
import { Agent, request } from 'undici';
import type { DeliveryLedger, OutgoingDelivery, Settled } from './ledger.ts';
import { type RetryPolicy, retryDelayMs } from './rules.ts';
import { signRequest } from './signature.ts';
import type { DeliverySettings } from './subscriptions.ts';

export interface PushOptions {
  readonly ledger: DeliveryLedger;
  readonly settings: (institutionId: string) => DeliverySettings;
  readonly key: { readonly kid: string; readonly privateKey: KeyObject };
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  /** Requests in flight per recipient. */
  readonly concurrency: number;
  /** Most events in one batch request. */
  readonly maxBatch: number;
  /** Batch mode: how long a partial batch waits for more events before it goes. */
  readonly lingerMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
  /** A fault of the hub itself (not of a webhook), for the process log. */
  readonly onInternalError: (error: unknown) => void;
}

/**
 * A delivery handed to the workers. `settled` tells the channel (e.g. JetStream) how each attempt
 * went once the store has recorded it, or `'released'` when the workers let it go without sending
 * (the recipient switched to its pull feed).
 */
export interface PushItem extends OutgoingDelivery {
  readonly settled?: (outcome: Settled | 'released') => void;
}

interface Entry {
  item: PushItem;
  attempts: number;
}

interface RecipientQueue {
  /** Each person's deliveries, oldest first; the head is the one being sent or waited on. */
  readonly persons: Map<string, Entry[]>;
  /** People whose head delivery may be sent now, in the order they became ready. */
  ready: string[];
  inFlight: number;
  /** Batch mode: a partial batch waits this long for more events (set while waiting). */
  linger: NodeJS.Timeout | undefined;
  lingered: boolean;
}

export class PushWorkers {
  readonly #options: PushOptions;
  readonly #agent: Agent;
  readonly #queues = new Map<string, RecipientQueue>();
  readonly #known = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #requests = new Set<Promise<void>>();
  #closed = false;

  constructor(options: PushOptions) {
    this.#options = options;
    this.#agent = new Agent({ keepAliveTimeout: 30_000, connections: Math.max(8, options.concurrency * 2) });
  }

  /** Deliveries queued or being sent. */
  get size(): number {
    return this.#known.size;
  }

  /** Queues deliveries (a delivery already queued is ignored: channels may hand one over twice). */
  add(items: readonly PushItem[]): void {
    const touched = new Set<string>();
    for (const item of items) {
      if (this.#closed || this.#known.has(item.id)) continue;
      this.#known.add(item.id);
      let queue = this.#queues.get(item.recipientId);
      if (!queue) {
        queue = { persons: new Map(), ready: [], inFlight: 0, linger: undefined, lingered: false };
        this.#queues.set(item.recipientId, queue);
      }
      const line = queue.persons.get(item.insz);
      if (line) line.push({ item, attempts: item.attempts });
      else {
        queue.persons.set(item.insz, [{ item, attempts: item.attempts }]);
        queue.ready.push(item.insz);
      }
      touched.add(item.recipientId);
    }
    for (const recipient of touched) this.#pump(recipient);
  }

  /** Stops sending; waits for requests in flight. Undelivered items stay pending in the store. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const queue of this.#queues.values()) clearTimeout(queue.linger);
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.allSettled([...this.#requests]);
    await this.#agent.close();
  }

  #pump(recipientId: string): void {
    const queue = this.#queues.get(recipientId);
    if (!queue || this.#closed) return;
    const settings = this.#options.settings(recipientId);
    if (settings.mode !== 'push' || settings.url === null) {
      // The institution switched to its pull feed: the rows moved there; forget them here.
      for (const line of queue.persons.values()) {
        for (const e of line) {
          this.#known.delete(e.item.id);
          e.item.settled?.('released');
        }
      }
      this.#queues.delete(recipientId);
      return;
    }
    const perRequest = settings.batch ? this.#options.maxBatch : 1;
    // A partial batch lingers a moment for more events: under load, requests carry many events
    // (one signature, one request for all); when quiet, it adds at most `lingerMs` of latency.
    if (settings.batch && queue.ready.length > 0 && queue.ready.length < perRequest && !queue.lingered) {
      queue.linger ??= setTimeout(() => {
        queue.linger = undefined;
        queue.lingered = true;
        this.#pump(recipientId);
        queue.lingered = false;
      }, this.#options.lingerMs);
      return;
    }
    clearTimeout(queue.linger);
    queue.linger = undefined;
    while (queue.inFlight < this.#options.concurrency && queue.ready.length > 0) {
      const persons = queue.ready.splice(0, perRequest);
      const entries = persons.map((p) => queue.persons.get(p)![0]!);
      queue.inFlight += 1;
      const sent = this.#send(settings, entries).then((error) =>
        this.#after(recipientId, queue, persons, entries, error),
      );
      this.#requests.add(sent);
      void sent.finally(() => this.#requests.delete(sent));
    }
    if (queue.inFlight === 0 && queue.persons.size === 0) this.#queues.delete(recipientId);
  }

  /** Sends one request; answers null on a 2xx, else why it failed. */
  async #send(settings: DeliverySettings, entries: readonly Entry[]): Promise<string | null> {
    const url = settings.url!;
    const batch = settings.batch;
    const body = batch ? `[${entries.map((e) => e.item.event).join(',')}]` : entries[0]!.item.event;
    const contentType = batch ? 'application/cloudevents-batch+json' : 'application/cloudevents+json';
    const now = this.#options.now?.() ?? Date.now();
    const signature = signRequest({
      method: 'POST',
      url,
      contentType,
      body,
      key: this.#options.key,
      created: Math.floor(now / 1000),
    });
    try {
      const response = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: { 'content-type': contentType, ...signature },
        body,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode < 300 ? null : `HTTP ${response.statusCode}`;
    } catch (error) {
      return error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'request failed';
    }
  }

  async #after(
    recipientId: string,
    queue: RecipientQueue,
    persons: readonly string[],
    entries: readonly Entry[],
    error: string | null,
  ): Promise<void> {
    queue.inFlight -= 1;
    const settledAll: Promise<void>[] = [];
    entries.forEach((entry, i) => {
      const person = persons[i]!;
      entry.attempts += 1;
      const dead = error !== null && entry.attempts >= this.#options.retry.maxAttempts;
      const outcome: Settled = {
        seq: entry.item.seq,
        delivered: error === null,
        attempts: entry.attempts,
        error,
        dead,
      };
      const recorded = this.#options.ledger.settle(outcome).then(
        () => entry.item.settled?.(outcome),
        (e: unknown) => this.#options.onInternalError(e),
      );
      settledAll.push(recorded);
      if (error === null || dead) {
        this.#next(queue, person);
      } else if (!this.#closed) {
        // The person's line waits for this delivery's retry; others go on.
        const delay = retryDelayMs(
          entry.attempts,
          this.#options.retry,
          this.#options.random?.() ?? Math.random(),
        );
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          queue.ready.push(person);
          this.#pump(recipientId);
        }, delay);
        this.#timers.add(timer);
      }
    });
    this.#pump(recipientId);
    await Promise.all(settledAll);
  }

  /** The person's head delivery is done: the next one (if any) becomes ready. */
  #next(queue: RecipientQueue, person: string): void {
    const line = queue.persons.get(person)!;
    const done = line.shift()!;
    this.#known.delete(done.item.id);
    if (line.length > 0) queue.ready.push(person);
    else queue.persons.delete(person);
  }
}

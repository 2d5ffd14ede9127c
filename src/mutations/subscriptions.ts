// Subscriptions and delivery settings, part of the knowledge directory: which institution wants
// which changes, and how it takes them (pushed to its webhook, or pulled from its feed). Kept in
// memory — every change's fan-out reads them — and written through to the store. Nothing is
// deleted: ending a subscription closes it.
import type { Kysely } from 'kysely';
import { type Clock, Generations, Problem, newId } from '../kernel/index.ts';
import { type Actor, type NetworkRegistry, actorLabel } from '../network/index.ts';
import type { Database } from '../store/index.ts';
import type { CapacityRef, Subscription } from './rules.ts';

export type DeliveryMode = 'push' | 'pull';

export interface DeliverySettings {
  readonly mode: DeliveryMode;
  /** The webhook, for push. */
  readonly url: string | null;
  /** Push several events per request (CloudEvents JSON batch) instead of one. */
  readonly batch: boolean;
}

/** Until an institution chooses, its changes wait in its pull feed. */
export const DEFAULT_SETTINGS: DeliverySettings = { mode: 'pull', url: null, batch: false };

export interface SubscriptionInput {
  readonly capacities?: readonly CapacityRef[] | null;
  readonly purpose?: string | null;
}

export class SubscriptionBook {
  readonly #db: Kysely<Database>;
  readonly #registry: NetworkRegistry;
  readonly #clock: Clock;
  /** service → active subscriptions */
  readonly #generations = new Generations();
  #byService = new Map<string, Subscription[]>();
  #settings = new Map<string, DeliverySettings>();

  private constructor(db: Kysely<Database>, registry: NetworkRegistry, clock: Clock) {
    this.#db = db;
    this.#registry = registry;
    this.#clock = clock;
  }

  static async load(
    db: Kysely<Database>,
    registry: NetworkRegistry,
    clock: Clock,
  ): Promise<SubscriptionBook> {
    const book = new SubscriptionBook(db, registry, clock);
    await book.reload();
    return book;
  }

  async reload(): Promise<void> {
    const generation = this.#generations.start();
    const rows = await this.#db
      .selectFrom('subscriptions')
      .selectAll()
      .where('ended_at', 'is', null)
      .execute();
    const byService = new Map<string, Subscription[]>();
    for (const row of rows) {
      const subscription = toSubscription(row);
      byService.set(row.service, [...(byService.get(row.service) ?? []), subscription]);
    }
    const settings = new Map<string, DeliverySettings>();
    for (const row of await this.#db.selectFrom('delivery_settings').selectAll().execute()) {
      settings.set(row.institution_id, {
        mode: row.mode as DeliveryMode,
        url: row.url,
        batch: row.batch === 1,
      });
    }
    if (!this.#generations.isLatest(generation)) return; // a later reload already swapped in newer rows
    this.#byService = byService;
    this.#settings = settings;
  }

  /** Active subscriptions to a service. */
  ofService(service: string): readonly Subscription[] {
    return this.#byService.get(service) ?? [];
  }

  ofInstitution(institutionId: string): Subscription[] {
    return [...this.#byService.values()].flat().filter((s) => s.institutionId === institutionId);
  }

  settings(institutionId: string): DeliverySettings {
    return this.#settings.get(institutionId) ?? DEFAULT_SETTINGS;
  }

  /** Creates or replaces the institution's subscription to a service. */
  async subscribe(
    institutionId: string,
    service: string,
    input: SubscriptionInput,
    actor: Actor,
  ): Promise<{ subscription: Subscription; created: boolean }> {
    if (!this.#registry.service(service)) throw new Problem('UNKNOWN_SERVICE', `no data service ${service}`);
    for (const c of input.capacities ?? []) {
      if (!this.#registry.capacity(c.sector, c.code)) {
        throw new Problem('UNKNOWN_CAPACITY', `no capacity ${c.code} in sector ${c.sector}`);
      }
    }
    const now = this.#clock.now().toISOString();
    const by = actorLabel(actor);
    const subscription: Subscription = {
      id: newId(),
      institutionId,
      service,
      capacities: input.capacities && input.capacities.length > 0 ? input.capacities : null,
      purpose: input.purpose ?? null,
      createdAt: now,
      createdBy: by,
    };
    const previous = this.#active(institutionId, service);
    await this.#db.transaction().execute(async (trx) => {
      if (previous) await endRow(trx, previous.id, now, by);
      await trx
        .insertInto('subscriptions')
        .values({
          id: subscription.id,
          institution_id: institutionId,
          service,
          capacities: subscription.capacities ? JSON.stringify(subscription.capacities) : null,
          purpose: subscription.purpose,
          created_at: now,
          created_by: by,
          ended_at: null,
          ended_by: null,
        })
        .execute();
    });
    // A reload, not an edit of the maps: one that another node's announcement started before this
    // commit could otherwise finish after it and put the old rows back (see Generations).
    await this.reload();
    return { subscription, created: previous === undefined };
  }

  async unsubscribe(institutionId: string, service: string, actor: Actor): Promise<void> {
    const active = this.#active(institutionId, service);
    if (!active) throw new Problem('SUBSCRIPTION_NOT_FOUND', `you have no subscription to ${service}`);
    await endRow(this.#db, active.id, this.#clock.now().toISOString(), actorLabel(actor));
    await this.reload();
  }

  /**
   * Sets how the institution takes its changes. Deliveries still waiting follow the new setting:
   * the caller moves them between channels in the same transaction (see ChangeOutbox).
   */
  async setSettings(
    institutionId: string,
    settings: DeliverySettings,
    actor: Actor,
    alsoInTransaction: (trx: Kysely<Database>) => Promise<void>,
  ): Promise<DeliverySettings> {
    if (settings.mode === 'push' && !isWebhookUrl(settings.url)) {
      throw new Problem('WEBHOOK_URL_INVALID', 'push needs an absolute http(s) webhook url');
    }
    const stored: DeliverySettings = {
      mode: settings.mode,
      url: settings.mode === 'push' ? settings.url : null,
      batch: settings.batch,
    };
    const row = {
      institution_id: institutionId,
      mode: stored.mode,
      url: stored.url,
      batch: stored.batch ? 1 : 0,
      updated_at: this.#clock.now().toISOString(),
      updated_by: actorLabel(actor),
    };
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('delivery_settings')
        .values(row)
        .onConflict((oc) => oc.column('institution_id').doUpdateSet(row))
        .execute();
      await alsoInTransaction(trx);
    });
    await this.reload();
    return stored;
  }

  #active(institutionId: string, service: string): Subscription | undefined {
    return this.ofService(service).find((s) => s.institutionId === institutionId);
  }
}

function isWebhookUrl(url: string | null): url is string {
  return url !== null && URL.canParse(url) && /^https?:$/.test(new URL(url).protocol);
}

async function endRow(db: Kysely<Database>, id: string, at: string, by: string): Promise<void> {
  await db.updateTable('subscriptions').set({ ended_at: at, ended_by: by }).where('id', '=', id).execute();
}

function toSubscription(row: Database['subscriptions']): Subscription {
  return {
    id: row.id,
    institutionId: row.institution_id,
    service: row.service,
    capacities: row.capacities === null ? null : (JSON.parse(row.capacities) as CapacityRef[]),
    purpose: row.purpose,
    createdAt: row.created_at,
    createdBy: row.created_by,
  };
}

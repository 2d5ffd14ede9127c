// Change push over HTTP against a really running hub and the demo network: intake and its
// refusals, recipient selection, field filtering, signed CloudEvents pushed to webhooks, retries
// and per-person order, dead letters and replay, batches, the pull feed, and the exchange-log
// record of every delivery. The whole suite runs twice: with the in-process relay, and over NATS
// JetStream when CROSSROADS_TEST_NATS_URL names a server.
import assert from 'node:assert/strict';
import { type KeyObject, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { AccessPage } from '../../src/citizen/index.ts';
import {
  type ChangeInbox,
  type DemoInstitutionKey,
  type DemoPerson,
  keysFromJwks,
  movedAddress,
  startChangeInbox,
} from '../../src/demo/index.ts';
import type { RegistrationView } from '../../src/directory/index.ts';
import { type IsoDate, addDays, today } from '../../src/kernel/index.ts';
import { type StoredRecord, recordByExchangeId } from '../../src/log/index.ts';
import {
  type Accepted,
  type ChangeEvent,
  type ChangeView,
  type DeliverySettings,
  type FeedPage,
  contentDigest,
  signRequest,
  verifyRequest,
} from '../../src/mutations/index.ts';
import { deleteNatsStream } from '../../src/mutations/nats.ts';
// The citizen tests' browser walks the demo OpenID login; test/citizen has no index.ts to import it through.
// eslint-disable-next-line no-restricted-imports
import { loginAs } from '../citizen/browser.ts';
import { type ProblemBody, type TestHub, assertProblem, kboOf, startTestHub } from '../helpers/test-hub.ts';
import { type Recorder, type RecordedRequest, startRecorder, waitFor } from './change-helpers.ts';

const NATS_URL = process.env.CROSSROADS_TEST_NATS_URL;
/** Small delays so retries and dead letters take milliseconds: 4 attempts, 10–20, 20–40, 40–80 ms apart. */
const FAST_RETRIES = {
  CROSSROADS_DELIVERY_RETRY_BASE_MS: '20',
  CROSSROADS_DELIVERY_RETRY_MAX_MS: '200',
  CROSSROADS_DELIVERY_MAX_ATTEMPTS: '4',
} as const;
const MAX_ATTEMPTS = 4;
const IDENTITY = 'nr.identity';
const OCMW_IDENTITY = { ref: 'IVC/KSZG/19/123', version: 2 } as const;

type Body = Record<string, unknown>;
interface SubscriptionView {
  service: string;
  capacities: { sector: number; code: number }[] | null;
  purpose: string | null;
  createdAt: string;
  authorised: boolean;
}
interface DeadView {
  id: string;
  recipient: string;
  change: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

function suite(channel: 'embedded' | 'nats'): void {
  const options =
    channel === 'nats'
      ? { skip: !NATS_URL && 'set CROSSROADS_TEST_NATS_URL to run the suite over NATS JetStream' }
      : {};

  describe(`change push over HTTP (${channel})`, options, () => {
    let th: TestHub;
    let stream: string | undefined;
    let hubKeys: (kid: string) => KeyObject | undefined;
    let kid: string;
    const closers: (() => Promise<void>)[] = [];
    /** Faults the hub reported about itself (push workers, relay): must stay empty. */
    const faults: unknown[] = [];
    let G: DemoPerson[]; // leefloon recipients in Gent, held by OCMW Gent in that one capacity
    let L: DemoPerson[]; // people CPAS Liège holds
    let stranger: DemoPerson; // held by no OCMW/CPAS
    let retiree: DemoPerson; // held by the Pension Service only (in capacity 5:100)
    let gentInbox: ChangeInbox; // OCMW Gent's webhook unless a test points it elsewhere
    let references = 0;

    before(async () => {
      stream = channel === 'nats' ? `T_${process.pid}_${Date.now()}` : undefined;
      th = await startTestHub({
        env: {
          ...FAST_RETRIES,
          ...(stream ? { CROSSROADS_NATS_URL: NATS_URL!, CROSSROADS_NATS_STREAM: stream } : {}),
        },
      });
      // The hub reports its own faults to the process log (silent in tests): keep them instead.
      th.hub.app.log.error = (...args: unknown[]) => void faults.push(args);
      const keys = await th.call<{ keys: { kid: string }[] }>('GET', '/public/changes/keys');
      assert.equal(keys.status, 200);
      hubKeys = keysFromJwks(keys.body);
      kid = keys.body.keys[0]!.kid;

      const people = th.demo.people;
      G = people.filter((p) => p.region === 'gent' && p.leefloon !== null && !p.underExamination);
      L = people.filter((p) => p.region === 'liege' && (p.leefloon !== null || p.underExamination));
      const unheld = people.filter((p) => p.leefloon === null && !p.underExamination);
      assert.ok(G.length >= 10 && L.length >= 2, 'the demo holds enough OCMW/CPAS clients');
      stranger = unheld.find((p) => p.pension === null)!;
      retiree = unheld.find((p) => p.pension !== null)!;
      assert.ok(stranger && retiree, 'the demo has people no OCMW holds, with and without a pension');

      // The demo's own start-up changes go to its inbox first: let them finish.
      await waitFor('the demo start-up changes to be delivered', async () => {
        const s = await status();
        return s.pending.push === 0 && s.queued === 0;
      });
      gentInbox = await inbox();
      await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
    });

    after(async () => {
      for (const close of closers) await close();
      await th?.close();
      if (stream) await deleteNatsStream(NATS_URL!, stream);
    });

    // ---- helpers ----

    const token = (key: DemoInstitutionKey) => th.demo.credential(key);
    const operator = () => th.demo.file.operator.token;
    const kbo = (key: DemoInstitutionKey) => kboOf(th.demo, key);
    const day = (): IsoDate => today(th.hub.clock);

    function change(insz: string, data: Body, extra: Body = {}): Body {
      return {
        service: IDENTITY,
        insz,
        effectiveDate: day(),
        kind: 'updated',
        data,
        sourceReference: `${channel}-ref-${++references}`,
        ...extra,
      };
    }

    function move(person: DemoPerson, n = references): Body {
      return change(person.insz, { address: movedAddress(person.region, n) });
    }

    async function publish(body: Body, key: DemoInstitutionKey = 'nr'): Promise<Accepted> {
      const result = await th.call<Accepted & { status: string }>('POST', '/v1/changes', {
        token: token(key),
        body,
      });
      assert.equal(result.status, 202, `accepted, got ${result.status} ${JSON.stringify(result.body)}`);
      return result.body;
    }

    async function view(changeId: string, key: DemoInstitutionKey = 'nr'): Promise<ChangeView> {
      const result = await th.call<ChangeView>('GET', `/v1/changes/${changeId}`, { token: token(key) });
      assert.equal(result.status, 200, JSON.stringify(result.body));
      return result.body;
    }

    async function deliverTo(
      key: DemoInstitutionKey,
      settings: { mode: 'push' | 'pull'; url?: string; batch?: boolean },
    ): Promise<DeliverySettings> {
      const result = await th.call<DeliverySettings>('PUT', '/v1/changes/delivery', {
        token: token(key),
        body: settings,
      });
      assert.equal(result.status, 200, JSON.stringify(result.body));
      return result.body;
    }

    async function status(): Promise<{
      pending: { push: number; pull: number };
      dead: number;
      queued: number;
    }> {
      const result = await th.call<Awaited<ReturnType<typeof status>>>('GET', '/admin/changes/status', {
        token: operator(),
      });
      assert.equal(result.status, 200);
      return result.body;
    }

    async function inbox(): Promise<ChangeInbox> {
      const started = await startChangeInbox({ key: hubKeys });
      closers.push(() => started.close());
      return started;
    }

    async function recorder(respond?: (r: RecordedRequest) => number | Promise<number>): Promise<Recorder> {
      const started = await startRecorder(hubKeys, respond);
      closers.push(() => started.close());
      return started;
    }

    const ofChange = (events: readonly ChangeEvent[], changeId: string) =>
      events.filter((e) => e.data.change === changeId);

    /** Waits until the change's one event reached `events`, and answers it. */
    function arrived(events: readonly ChangeEvent[], changeId: string, where: string): Promise<ChangeEvent> {
      return waitFor(
        `change ${changeId} to arrive at ${where}`,
        () => ofChange(events, changeId)[0],
        5_000,
        () => events.map((e) => e.data.change),
      );
    }

    /** Waits until every delivery of the change is delivered (GET /v1/changes/:id). */
    function settled(changeId: string): Promise<ChangeView> {
      let last: ChangeView | undefined;
      return waitFor(
        `every delivery of change ${changeId} to be delivered`,
        async () => {
          last = await view(changeId);
          return last.deliveries.delivered === last.recipients && last.deliveries.pending === 0 && last;
        },
        5_000,
        () => last?.deliveries,
      );
    }

    /** The change's delivery rows, from the store. */
    function deliveriesOf(changeId: string) {
      return th.hub.store.db
        .selectFrom('deliveries')
        .select(['id', 'recipient_id', 'status', 'attempts', 'last_error', 'mode'])
        .where('change_id', '=', changeId)
        .orderBy('seq')
        .execute();
    }

    async function registrationsAt(key: DemoInstitutionKey, insz: string): Promise<RegistrationView[]> {
      const result = await th.call<RegistrationView[]>('GET', `/v1/directory/registrations?insz=${insz}`, {
        token: token(key),
      });
      assert.equal(result.status, 200);
      return result.body;
    }

    async function feed(key: DemoInstitutionKey, query = ''): Promise<FeedPage> {
      const result = await th.call<FeedPage>('GET', `/v1/changes/feed${query}`, { token: token(key) });
      assert.equal(result.status, 200, JSON.stringify(result.body));
      return result.body;
    }

    async function ack(key: DemoInstitutionKey, cursor: string): Promise<number> {
      const result = await th.call<{ acknowledged: number }>('POST', '/v1/changes/ack', {
        token: token(key),
        body: { cursor },
      });
      assert.equal(result.status, 200, JSON.stringify(result.body));
      return result.body.acknowledged;
    }

    async function logRecord(exchangeId: string): Promise<StoredRecord> {
      const result = await th.call<StoredRecord>('GET', `/admin/exchanges/${exchangeId}`, {
        token: operator(),
      });
      assert.equal(result.status, 200, `a log record for ${exchangeId}: ${JSON.stringify(result.body)}`);
      return result.body;
    }

    // ---- 1. intake ----

    describe('publishing a change (POST /v1/changes)', () => {
      test('answers 202 with the change id and its number of recipients; the publisher can read it back', async () => {
        const body = change(G[0]!.insz, { address: movedAddress('gent', 1) });
        const result = await th.call<Body>('POST', '/v1/changes', { token: token('nr'), body });
        assert.equal(result.status, 202, JSON.stringify(result.body));
        const { changeId, ...rest } = result.body;
        assert.match(String(changeId), /^[0-9a-f-]{36}$/);
        assert.deepEqual(rest, { status: 'accepted', recipients: 1, repeated: false });

        const seen = await view(String(changeId));
        assert.equal(seen.id, changeId);
        assert.deepEqual(seen.service, { id: IDENTITY, version: 1 });
        assert.equal(seen.insz, G[0]!.insz);
        assert.equal(seen.effectiveDate, body.effectiveDate);
        assert.equal(seen.kind, 'updated');
        assert.deepEqual(seen.data, body.data);
        assert.equal(seen.sourceReference, body.sourceReference);
        assert.equal(seen.recipients, 1);
        const { pending, delivered, dead } = seen.deliveries;
        assert.equal(pending + delivered + dead, 1, 'one delivery per recipient');
        await arrived(gentInbox.events, String(changeId), 'OCMW Gent’s webhook');
        assert.deepEqual((await settled(String(changeId))).deliveries, { pending: 0, delivered: 1, dead: 0 });
      });

      test('refuses what it cannot accept, with the problem code, and stores nothing', async () => {
        const before = await th.hub.store.db
          .selectFrom('changes')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        const insz = G[0]!.insz;
        const badInsz = insz.slice(0, 10) + String((Number(insz[10]) + 1) % 10);
        const holdsOnlySolidaris = th.demo.people.find(
          (p) => p.healthFund.length > 0 && p.healthFund.every((m) => m.fund === 'solidaris'),
        )!;
        const cases: { name: string; key?: DemoInstitutionKey; body: Body; status: number; code: string }[] =
          [
            {
              name: 'unknown service',
              body: change(insz, {}, { service: 'nr.shoe-size' }),
              status: 404,
              code: 'UNKNOWN_SERVICE',
            },
            {
              name: 'unknown version',
              body: change(insz, {}, { version: 9 }),
              status: 404,
              code: 'UNKNOWN_SERVICE',
            },
            {
              name: 'RVA publishing the National Register’s service',
              key: 'rva',
              body: change(insz, { address: movedAddress('gent', 2) }),
              status: 403,
              code: 'CHANGE_SOURCE_ONLY',
            },
            {
              name: 'OCMW Gent publishing the National Register’s service',
              key: 'ocmwGent',
              body: change(insz, { deathDate: day() }),
              status: 403,
              code: 'CHANGE_SOURCE_ONLY',
            },
            {
              name: 'a health fund publishing about a member of the other fund',
              key: 'cm',
              body: change(holdsOnlySolidaris.insz, { insurable: true }, { service: 'health.insurability' }),
              status: 403,
              code: 'CHANGE_SOURCE_ONLY',
            },
            {
              name: 'INSZ check digits',
              body: change(badInsz, { deathDate: day() }),
              status: 400,
              code: 'INSZ_CHECKSUM',
            },
            {
              name: 'unknown field',
              body: change(insz, { shoeSize: 44 }),
              status: 400,
              code: 'CHANGE_DATA_INVALID',
            },
            {
              name: 'wrong type',
              body: change(insz, { lastName: 42 }),
              status: 400,
              code: 'CHANGE_DATA_INVALID',
            },
            {
              name: 'wrong type, nested',
              body: change(insz, { address: { street: ['Korenmarkt'] } }),
              status: 400,
              code: 'CHANGE_DATA_INVALID',
            },
            {
              name: 'not in the enum',
              body: change(insz, { sex: 'X' }),
              status: 400,
              code: 'CHANGE_DATA_INVALID',
            },
            {
              name: 'bad date format',
              body: change(insz, { birthDate: '30/01/1985' }),
              status: 400,
              code: 'CHANGE_DATA_INVALID',
            },
            {
              name: 'no such calendar date',
              body: change(insz, { deathDate: '2025-13-01' }),
              status: 400,
              code: 'CHANGE_DATA_INVALID',
            },
            {
              name: 'nested deeper than 16 levels (unknown keys of an open object)',
              body: change(insz, { address: nested(20) }),
              status: 400,
              code: 'CHANGE_DATA_INVALID',
            },
            {
              name: 'larger than 64 KiB',
              body: change(insz, { address: { street: 'x'.repeat(70_000) } }),
              status: 400,
              code: 'CHANGE_DATA_INVALID',
            },
            {
              name: 'unknown kind',
              body: change(insz, {}, { kind: 'moved' }),
              status: 400,
              code: 'VALIDATION_FAILED',
            },
            {
              name: 'no sourceReference',
              body: Object.fromEntries(
                Object.entries(change(insz, {})).filter(([k]) => k !== 'sourceReference'),
              ),
              status: 400,
              code: 'VALIDATION_FAILED',
            },
            {
              name: 'empty sourceReference',
              body: change(insz, {}, { sourceReference: '' }),
              status: 400,
              code: 'VALIDATION_FAILED',
            },
            {
              name: 'data not an object',
              body: change(insz, {}, { data: ['x'] }),
              status: 400,
              code: 'VALIDATION_FAILED',
            },
            {
              name: 'an unknown member',
              body: change(insz, {}, { urgent: true }),
              status: 400,
              code: 'VALIDATION_FAILED',
            },
            {
              name: 'effectiveDate not a date',
              body: change(insz, {}, { effectiveDate: 'tomorrow' }),
              status: 400,
              code: 'VALIDATION_FAILED',
            },
          ];
        const wrong: string[] = [];
        for (const c of cases) {
          const result = await th.call<{ code?: string }>('POST', '/v1/changes', {
            token: token(c.key ?? 'nr'),
            body: c.body,
          });
          if (result.status !== c.status || result.body.code !== c.code)
            wrong.push(
              `${c.name}: want ${c.status} ${c.code}, got ${result.status} ${JSON.stringify(result.body)}`,
            );
          else assertProblem(result, c.status, c.code);
        }
        assert.deepEqual(wrong, [], 'every refusal has its code');
        assertProblem(
          await th.call('POST', '/v1/changes', { body: change(insz, { deathDate: day() }) }),
          401,
          'UNAUTHENTICATED',
        );
        assertProblem(
          await th.call('POST', '/v1/changes', {
            token: 'cr.nope',
            body: change(insz, { deathDate: day() }),
          }),
          401,
          'CREDENTIAL_INVALID',
        );
        const after = await th.hub.store.db
          .selectFrom('changes')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow();
        assert.equal(Number(after.n), Number(before.n), 'no refused change is stored');
      });

      test('a health fund is the source of its own members’ insurability', async () => {
        const member = th.demo.people.find((p) =>
          p.healthFund.some((m) => m.fund === 'cm' && m.end === null),
        )!;
        const accepted = await publish(
          change(member.insz, { insurable: true }, { service: 'health.insurability' }),
          'cm',
        );
        assert.equal(accepted.recipients, 0, 'nobody subscribed to health.insurability');
      });

      test('an effectiveDate that is no calendar date is 400 DATE_INVALID', async () => {
        for (const effectiveDate of ['2025-02-30', '2025-13-01', '2025-00-10']) {
          const result = await th.call('POST', '/v1/changes', {
            token: token('nr'),
            body: change(stranger.insz, { deathDate: null }, { effectiveDate }),
          });
          assertProblem(result, 400, 'DATE_INVALID');
        }
      });

      test('publishing a sourceReference again with the same content is idempotent; with other content, a conflict', async () => {
        const person = G[0]!;
        const address = movedAddress('gent', 7);
        const body = change(person.insz, { address });
        const first = await publish(body);
        assert.equal(first.repeated, false);
        // The same content in another key order is the same content.
        const reordered = Object.fromEntries(Object.entries(address).reverse());
        for (const again of [body, { ...body, data: { address: reordered } }, { ...body, version: 1 }]) {
          const repeated = await publish(again);
          assert.deepEqual(repeated, { ...first, repeated: true, status: 'accepted' });
        }
        const conflict = await th.call('POST', '/v1/changes', {
          token: token('nr'),
          body: { ...body, data: { address: movedAddress('gent', 8) } },
        });
        assertProblem(conflict, 409, 'CHANGE_CONFLICT');
        assertProblem(
          await th.call('POST', '/v1/changes', { token: token('nr'), body: { ...body, kind: 'corrected' } }),
          409,
          'CHANGE_CONFLICT',
        );

        // Events about one person arrive in order: once a later one is in, the earlier are too.
        const barrier = await publish(move(person));
        await arrived(gentInbox.events, barrier.changeId, 'OCMW Gent’s webhook');
        assert.equal(ofChange(gentInbox.events, first.changeId).length, 1, 'delivered once');
        assert.equal(gentInbox.duplicates, 0, 'and never sent twice');
        assert.equal((await deliveriesOf(first.changeId)).length, 1, 'one delivery row');
        assert.deepEqual((await settled(first.changeId)).deliveries, { pending: 0, delivered: 1, dead: 0 });
      });

      test('GET /v1/changes/:id is for its publisher only', async () => {
        const accepted = await publish(move(G[0]!));
        await view(accepted.changeId);
        for (const key of ['ocmwGent', 'rva'] as const) {
          assertProblem(
            await th.call('GET', `/v1/changes/${accepted.changeId}`, { token: token(key) }),
            404,
            'UNKNOWN_CHANGE',
          );
        }
        assertProblem(
          await th.call('GET', '/v1/changes/01a22b88-0000-7000-8000-000000000000', { token: token('nr') }),
          404,
          'UNKNOWN_CHANGE',
        );
        assertProblem(await th.call('GET', `/v1/changes/${accepted.changeId}`), 401, 'UNAUTHENTICATED');
        await settled(accepted.changeId);
      });
    });

    // ---- 2. recipients ----

    describe('who receives a change', () => {
      test('an institution holding the person receives it at its webhook; nobody receives a change about a person nobody holds', async () => {
        const held = await publish(move(G[1]!));
        assert.equal(held.recipients, 1);
        const event = await arrived(gentInbox.events, held.changeId, 'OCMW Gent’s webhook');
        assert.equal(event.subject, G[1]!.insz);

        const unheld = await publish(move(stranger));
        assert.equal(unheld.recipients, 0);
        assert.equal((await view(unheld.changeId)).recipients, 0);
        assert.deepEqual(await deliveriesOf(unheld.changeId), []);
        assert.ok(!gentInbox.events.some((e) => e.subject === stranger.insz));
      });

      test('a subscription narrowed to another capacity receives nothing', async () => {
        const narrow = async (capacities: { sector: number; code: number }[] | null, status: number) => {
          const result = await th.call<SubscriptionView>('PUT', `/v1/subscriptions/${IDENTITY}`, {
            token: token('ocmwGent'),
            body: { capacities },
          });
          assert.equal(result.status, status, JSON.stringify(result.body));
          return result.body;
        };
        try {
          const other = await narrow([{ sector: 17, code: 3 }], 200);
          assert.deepEqual(other.capacities, [{ sector: 17, code: 3 }]);
          assert.equal(other.authorised, true, 'the authorisation names that capacity');
          assert.equal(
            (await publish(move(G[1]!))).recipients,
            0,
            'G1 is held as a leefloon recipient (17:2)',
          );
          const own = await narrow([{ sector: 17, code: 2 }], 200);
          assert.deepEqual(own.capacities, [{ sector: 17, code: 2 }]);
          const accepted = await publish(move(G[1]!));
          assert.equal(accepted.recipients, 1, 'narrowed to the capacity it holds the person in');
          await arrived(gentInbox.events, accepted.changeId, 'OCMW Gent’s webhook');
        } finally {
          assert.equal((await narrow(null, 200)).capacities, null);
        }
      });

      test('after DELETE /v1/subscriptions/:service nothing more arrives', async () => {
        const subscribed = async () =>
          (
            await th.call<{ subscriptions: SubscriptionView[] }>('GET', '/v1/subscriptions', {
              token: token('ocmwGent'),
            })
          ).body.subscriptions.filter((s) => s.service === IDENTITY);
        try {
          const gone = await th.call('DELETE', `/v1/subscriptions/${IDENTITY}`, { token: token('ocmwGent') });
          assert.equal(gone.status, 204);
          assert.deepEqual(await subscribed(), []);
          assert.equal((await publish(move(G[1]!))).recipients, 0);
          assertProblem(
            await th.call('DELETE', `/v1/subscriptions/${IDENTITY}`, { token: token('ocmwGent') }),
            404,
            'SUBSCRIPTION_NOT_FOUND',
          );
        } finally {
          const again = await th.call('PUT', `/v1/subscriptions/${IDENTITY}`, {
            token: token('ocmwGent'),
            body: {},
          });
          assert.equal(again.status, 201, 'subscribing anew creates a subscription');
        }
        assert.equal((await subscribed()).length, 1);
        const accepted = await publish(move(G[1]!));
        assert.equal(accepted.recipients, 1);
        await arrived(gentInbox.events, accepted.changeId, 'OCMW Gent’s webhook');
      });

      test('an institution whose authorisation ended receives nothing, and GET /v1/subscriptions says so', async () => {
        const sfpd = await th.call<{ subscriptions: SubscriptionView[] }>('GET', '/v1/subscriptions', {
          token: token('sfpd'),
        });
        assert.equal(sfpd.status, 200);
        const identity = sfpd.body.subscriptions.find((s) => s.service === IDENTITY);
        assert.ok(identity, 'the Pension Service subscribed to nr.identity');
        assert.equal(identity.authorised, false);
        const gent = await th.call<{ subscriptions: SubscriptionView[] }>('GET', '/v1/subscriptions', {
          token: token('ocmwGent'),
        });
        assert.equal(gent.body.subscriptions.find((s) => s.service === IDENTITY)?.authorised, true);

        const held = await registrationsAt('sfpd', retiree.insz);
        assert.ok(
          held.some((r) => r.capacity === 100 && r.period.end === null),
          'the Pension Service holds a payment dossier for the person',
        );
        const accepted = await publish(change(retiree.insz, { deathDate: day() }));
        assert.equal(accepted.recipients, 0);
      });

      test('a registration ended within the grace period still receives; one ended longer ago does not', async () => {
        const person = G[2]!;
        const leefloon = (await registrationsAt('ocmwGent', person.insz)).find(
          (r) => r.capacity === 2 && r.period.end === null,
        );
        assert.ok(leefloon, 'OCMW Gent holds a leefloon registration');
        const end = addDays(day(), -5);
        assert.ok(leefloon.period.start < end);
        const ended = await th.call<RegistrationView>(
          'POST',
          `/v1/directory/registrations/${leefloon.id}/unregister`,
          {
            token: token('ocmwGent'),
            body: { end },
          },
        );
        assert.equal(ended.status, 200, JSON.stringify(ended.body));
        assert.equal(ended.body.period.end, end);

        const within = await publish(change(person.insz, { deathDate: day() }));
        assert.equal(within.recipients, 1, 'ended 5 days before the effective date, grace is 30');
        await arrived(gentInbox.events, within.changeId, 'OCMW Gent’s webhook');
        const edge = await publish(
          change(person.insz, { address: movedAddress('gent', 4) }, { effectiveDate: addDays(end, 29) }),
        );
        assert.equal(edge.recipients, 1, 'ended 29 days before the effective date');
        const late = change(person.insz, { deathDate: null }, { effectiveDate: addDays(end, 31) });
        assert.equal((await publish(late)).recipients, 0, 'ended 31 days before the effective date');
        await arrived(gentInbox.events, edge.changeId, 'OCMW Gent’s webhook');
      });

      test('a change reaches every recipient by its own channel', async () => {
        const person = G[9]!;
        const registered = await th.call('POST', '/v1/directory/registrations', {
          token: token('cpasLiege'),
          body: {
            insz: person.insz,
            capacity: 1,
            period: { start: day() },
            proof: { identityCardNumber: person.identityCardNumber },
          },
        });
        assert.equal(registered.status, 201, JSON.stringify(registered.body));
        const accepted = await publish(move(person));
        assert.equal(accepted.recipients, 2, 'OCMW Gent and CPAS Liège hold the person');
        const pushed = await arrived(gentInbox.events, accepted.changeId, 'OCMW Gent’s webhook');
        const pulled = await waitFor('the change in CPAS Liège’s feed', async () =>
          (await feed('cpasLiege', '?limit=1000')).events.find((e) => e.data.change === accepted.changeId),
        );
        assert.notEqual(pushed.id, pulled.id, 'one delivery, with its own id, per recipient');
        assert.deepEqual(
          (await deliveriesOf(accepted.changeId)).map((d) => [d.id, d.mode]).sort(),
          [
            [pushed.id, 'push'],
            [pulled.id, 'pull'],
          ].sort(),
        );
        assert.equal(ofChange(gentInbox.events, accepted.changeId).length, 1);
      });
    });

    // ---- 3 and 4. what is pushed, and how ----

    /** One change pushed to a recording webhook, which checks the log record exists on arrival. */
    let pushed:
      | Promise<{ accepted: Accepted; request: RecordedRequest; event: ChangeEvent; loggedFirst: boolean }>
      | undefined;
    function pushedChange() {
      pushed ??= (async () => {
        const person = G[3]!;
        const logged = new Map<string, boolean>();
        const rec = await recorder(async (r) => {
          for (const e of r.events)
            logged.set(e.id, (await recordByExchangeId(th.hub.store.db, e.id)) !== undefined);
          return 204;
        });
        await deliverTo('ocmwGent', { mode: 'push', url: rec.url });
        try {
          const accepted = await publish(
            change(person.insz, { identityCardNumber: '592-1234567-89', address: movedAddress('gent', 3) }),
          );
          const event = await arrived(rec.accepted, accepted.changeId, 'the recording webhook');
          const request = rec.requests.find((r) => r.events.some((e) => e.id === event.id))!;
          await settled(accepted.changeId);
          return { accepted, request, event, loggedFirst: logged.get(event.id) === true };
        } finally {
          await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
        }
      })();
      return pushed;
    }

    describe('what a recipient receives', () => {
      test('only the fields its authorisation grants', async () => {
        const { event, accepted } = await pushedChange();
        assert.deepEqual(event.data.values, { address: movedAddress('gent', 3) });
        assert.ok(!('identityCardNumber' in event.data.values), 'OCMW may not receive the card number');
        assert.deepEqual(
          Object.keys((await view(accepted.changeId)).data).sort(),
          ['address', 'identityCardNumber'],
          'the publisher’s view keeps all it published',
        );
      });

      test('a change carrying only fields the recipient may not receive is not delivered to it', async () => {
        // OCMW Gent may not receive the identity-card number: an event with no values would still
        // tell it that the person's card changed, which its authorisation does not cover.
        const accepted = await publish(change(G[3]!.insz, { identityCardNumber: '592-7654321-98' }));
        const barrier = await publish(move(G[3]!));
        await arrived(gentInbox.events, barrier.changeId, 'OCMW Gent’s webhook');
        assert.deepEqual(
          ofChange(gentInbox.events, accepted.changeId).map((e) => e.data.values),
          [],
          'no event for a change it may see nothing of',
        );
        assert.equal(accepted.recipients, 0);
      });

      test('a CloudEvents 1.0 structured event, signed (RFC 9421) with the key at /public/changes/keys', async () => {
        const { accepted, request, event } = await pushedChange();
        assert.equal(request.method, 'POST');
        assert.equal(request.headers['content-type'], 'application/cloudevents+json');
        assert.ok(request.verdict.ok, `the signature verifies: ${JSON.stringify(request.verdict)}`);
        assert.equal(request.verdict.kid, kid);
        assert.equal(request.headers['content-digest'], contentDigest(request.body));
        assert.match(
          String(request.headers['signature-input']),
          /^sig1=\("@method" "@target-uri" "content-type" "content-digest"\);created=\d+;keyid="[^"]+";alg="ed25519"$/,
        );

        const [delivery] = await deliveriesOf(accepted.changeId);
        const published = await view(accepted.changeId);
        assert.equal(event.specversion, '1.0');
        assert.equal(event.id, delivery?.id, 'the event id is the delivery id');
        assert.equal(event.type, 'be.crossroads.change.nr.identity');
        assert.equal(event.subject, G[3]!.insz);
        assert.equal(event.time, published.receivedAt);
        assert.equal(event.datacontenttype, 'application/json');
        assert.equal(typeof event.source, 'string');
        assert.ok(event.source.length > 0);
        assert.deepEqual(event.data, {
          change: accepted.changeId,
          kind: 'updated',
          service: { id: IDENTITY, version: 1 },
          effectiveDate: published.effectiveDate,
          publishedBy: kbo('nr'),
          authorisation: OCMW_IDENTITY,
          purpose: 'social-investigation',
          values: { address: movedAddress('gent', 3) },
        });
      });

      test('a receiver refuses a tampered, re-signed, unsigned or foreign-signed request', async () => {
        const { request } = await pushedChange();
        const verify = (body: Buffer | string, headers = request.headers) =>
          verifyRequest({
            method: 'POST',
            url: request.url,
            headers,
            body,
            key: hubKeys,
            now: Math.floor(Date.now() / 1000),
          });
        assert.equal(verify(request.body).ok, true, 'the request as the hub sent it');
        const tampered = request.body.toString('utf8').replace('"address"', '"adress"');
        assert.equal(refusal(verify(tampered)), 'DIGEST_MISMATCH');
        assert.equal(
          refusal(verify(tampered, { ...request.headers, 'content-digest': contentDigest(tampered) })),
          'SIGNATURE_INVALID',
          'a new digest does not match the signature',
        );
        const { signature: _s, 'signature-input': _i, ...unsigned } = request.headers;
        assert.equal(refusal(verify(request.body, unsigned)), 'SIGNATURE_MISSING');

        // Against the demo receiver, over HTTP: only a request the hub's key signed is taken.
        const receiver = await inbox();
        const send = (body: string, headers: Record<string, string>) =>
          fetch(receiver.url, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/cloudevents+json', ...headers },
          });
        const event = request.body.toString('utf8');
        const hubSigned = (body: string, privateKey = th.hub.changes.key.privateKey) =>
          signRequest({
            method: 'POST',
            url: receiver.url,
            contentType: 'application/cloudevents+json',
            body,
            key: { kid, privateKey },
            created: Math.floor(Date.now() / 1000),
          });
        assert.equal((await send(event, {})).status, 401);
        const headers = hubSigned(event);
        assert.equal((await send(event.replace('"address"', '"adress"'), headers)).status, 401);
        assert.equal(
          (await send(event, hubSigned(event, generateKeyPairSync('ed25519').privateKey))).status,
          401,
        );
        assert.deepEqual(Object.fromEntries(receiver.refused), {
          SIGNATURE_MISSING: 1,
          DIGEST_MISMATCH: 1,
          SIGNATURE_INVALID: 1,
        });
        assert.deepEqual(receiver.events, [], 'nothing refused is taken');
        assert.equal((await send(event, headers)).status, 204, 'the genuine request is');
        assert.equal(receiver.events.length, 1);
      });

      test('PUT /v1/changes/delivery refuses push without an http(s) webhook', async () => {
        for (const body of [
          { mode: 'push' },
          { mode: 'push', url: 'ftp://inst.example/x' },
          { mode: 'push', url: 'hooks' },
        ]) {
          assertProblem(
            await th.call('PUT', '/v1/changes/delivery', { token: token('ocmwGent'), body }),
            400,
            'WEBHOOK_URL_INVALID',
          );
        }
        assertProblem(
          await th.call('PUT', '/v1/changes/delivery', { token: token('ocmwGent'), body: { mode: 'email' } }),
          400,
          'VALIDATION_FAILED',
        );
        const current = await th.call<DeliverySettings>('GET', '/v1/changes/delivery', {
          token: token('ocmwGent'),
        });
        assert.deepEqual(current.body, { mode: 'push', url: gentInbox.url, batch: false }, 'unchanged');
      });
    });

    // ---- 5. retries and order ----

    describe('retries and order', () => {
      test('a webhook that fails twice then answers gets the event once, after three attempts', async () => {
        gentInbox.failNext(2);
        const accepted = await publish(move(G[4]!));
        const event = await arrived(gentInbox.events, accepted.changeId, 'OCMW Gent’s webhook');
        assert.deepEqual((await settled(accepted.changeId)).deliveries, {
          pending: 0,
          delivered: 1,
          dead: 0,
        });
        assert.equal(ofChange(gentInbox.events, accepted.changeId).length, 1);
        assert.equal(gentInbox.duplicates, 0);
        const [row] = await deliveriesOf(accepted.changeId);
        assert.equal(row?.id, event.id);
        assert.equal(row?.attempts, 3, 'two failed attempts and the one that succeeded are recorded');
        assert.equal(row?.status, 'delivered');
        assert.equal(row?.last_error, null);
      });

      test('one person’s changes arrive in publish order while retried; another person’s are not held up', async () => {
        const [a, b] = [G[5]!, G[6]!];
        const attempts = new Map<string, number>();
        let firstOfA = '';
        const rec = await recorder(async (r) => {
          const [e] = r.events;
          if (!e) return 400;
          const n = (attempts.get(e.id) ?? 0) + 1;
          attempts.set(e.id, n);
          // A's first event may reach the webhook before its publish has answered: the first event
          // about A is A's first change (one person's events arrive in order).
          if (e.subject === a.insz && firstOfA === '') firstOfA = e.data.change;
          if (e.subject !== a.insz || e.data.change !== firstOfA) return 204;
          if (n === 1) return 503;
          if (n === 2) {
            // The second attempt hangs until the other person's change is in: it must not wait for A.
            await waitFor(
              'B’s change to arrive',
              () => rec.accepted.some((x) => x.subject === b.insz),
              3_000,
            ).catch(() => undefined);
            return 503;
          }
          return 204;
        });
        await deliverTo('ocmwGent', { mode: 'push', url: rec.url });
        try {
          const aChanges: string[] = [];
          const first = (await publish(move(a, 11))).changeId;
          if (firstOfA === '') firstOfA = first;
          assert.equal(firstOfA, first, 'the first event about A is its first change');
          aChanges.push(first);
          aChanges.push((await publish(move(a, 12))).changeId);
          aChanges.push((await publish(change(a.insz, { civilStatus: 'married' }))).changeId);
          const bChange = (await publish(move(b, 13))).changeId;
          await waitFor(
            'all four changes to be delivered',
            () => rec.accepted.length >= 4,
            5_000,
            () => rec.requests.map((r) => [r.events[0]?.subject, r.status]),
          );
          const order = rec.accepted.map((e) => e.data.change);
          assert.deepEqual(
            order.filter((c) => aChanges.includes(c)),
            aChanges,
            'A’s changes in publish order',
          );
          assert.ok(
            order.indexOf(bChange) < order.indexOf(firstOfA),
            'B was delivered while A’s first was retried',
          );
          const aFirstDone = rec.requests.find(
            (r) => r.status === 204 && r.events[0]?.data.change === firstOfA,
          )!;
          const aSecondSent = rec.requests.find((r) => r.events[0]?.data.change === aChanges[1])!;
          assert.ok(
            aSecondSent.n > aFirstDone.n,
            'A’s second change was sent only after the first was delivered',
          );
          // Once every outcome is recorded (the webhook may answer before the store has it).
          for (const c of [...aChanges, bChange]) await settled(c);
          assert.equal((await deliveriesOf(firstOfA))[0]?.attempts, 3);
          assert.equal(rec.accepted.length, 4, 'each once');
        } finally {
          await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
        }
      });
    });

    // ---- 6. dead letters ----

    describe('dead letters and replay', () => {
      async function deadOf(
        changeId: string,
        query = `?recipient=${kbo('ocmwGent')}`,
      ): Promise<DeadView | undefined> {
        const result = await th.call<{ dead: DeadView[] }>('GET', `/admin/deliveries${query}`, {
          token: operator(),
        });
        assert.equal(result.status, 200, JSON.stringify(result.body));
        return result.body.dead.find((d) => d.change === changeId);
      }

      test('a webhook that always fails: the delivery parks dead after the last attempt, and replay delivers it', async () => {
        const receiver = await inbox();
        receiver.failNext(1_000_000);
        await deliverTo('ocmwGent', { mode: 'push', url: receiver.url });
        try {
          const accepted = await publish(move(G[7]!));
          const dead = await waitFor('the delivery to be listed dead', () => deadOf(accepted.changeId));
          const [row] = await deliveriesOf(accepted.changeId);
          assert.deepEqual(dead, {
            id: row?.id,
            recipient: kbo('ocmwGent'),
            change: accepted.changeId,
            attempts: MAX_ATTEMPTS,
            lastError: 'HTTP 503',
            createdAt: (await view(accepted.changeId)).receivedAt,
          });
          assert.deepEqual((await view(accepted.changeId)).deliveries, { pending: 0, delivered: 0, dead: 1 });
          assert.ok(await deadOf(accepted.changeId, ''), 'listed without a recipient filter too');
          assert.equal(await deadOf(accepted.changeId, `?recipient=${kbo('cpasLiege')}`), undefined);
          assert.equal((await status()).dead >= 1, true);

          // The webhook recovers; the person's next change goes ahead of the dead one.
          receiver.failNext(0);
          const next = await publish(move(G[7]!));
          await arrived(receiver.events, next.changeId, 'the recovered webhook');
          assert.deepEqual(
            receiver.events.map((e) => e.data.change),
            [next.changeId],
          );

          assertProblem(
            await th.call('POST', '/admin/deliveries/replay', {
              token: token('ocmwGent'),
              body: { ids: [dead.id] },
            }),
            403,
            'OPERATOR_ONLY',
          );
          const replay = await th.call('POST', '/admin/deliveries/replay', {
            token: operator(),
            body: { ids: [dead.id] },
          });
          assert.equal(replay.status, 200, JSON.stringify(replay.body));
          assert.deepEqual(replay.body, { replayed: 1 });
          const event = await arrived(receiver.events, accepted.changeId, 'the recovered webhook');
          assert.equal(event.id, dead.id, 'the same event id as before');
          assert.deepEqual((await settled(accepted.changeId)).deliveries, {
            pending: 0,
            delivered: 1,
            dead: 0,
          });
          assert.equal(await deadOf(accepted.changeId), undefined, 'no longer listed dead');
          assert.equal((await deliveriesOf(accepted.changeId))[0]?.attempts, 1, 'a fresh attempt count');

          assertProblem(
            await th.call('POST', '/admin/deliveries/replay', {
              token: operator(),
              body: { ids: [dead.id] },
            }),
            404,
            'UNKNOWN_DELIVERY',
          );
        } finally {
          await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
        }
      });

      test('replaying an unknown delivery is 404 UNKNOWN_DELIVERY and replays nothing', async () => {
        const unknown = await th.call('POST', '/admin/deliveries/replay', {
          token: operator(),
          body: { ids: ['01a22b88-0000-7000-8000-000000000000'] },
        });
        assertProblem(unknown, 404, 'UNKNOWN_DELIVERY');
        assertProblem(
          await th.call('POST', '/admin/deliveries/replay', { token: operator(), body: { ids: [] } }),
          400,
          'VALIDATION_FAILED',
        );
      });

      test('replaying every dead delivery of a recipient', async () => {
        const receiver = await inbox();
        receiver.failNext(1_000_000);
        await deliverTo('ocmwGent', { mode: 'push', url: receiver.url });
        try {
          const changes = [(await publish(move(G[7]!))).changeId, (await publish(move(G[8]!))).changeId];
          for (const c of changes) await waitFor(`change ${c} to be dead`, () => deadOf(c));
          receiver.failNext(0);
          const replay = await th.call<{ replayed: number }>('POST', '/admin/deliveries/replay', {
            token: operator(),
            body: { recipient: kbo('ocmwGent') },
          });
          assert.equal(replay.status, 200, JSON.stringify(replay.body));
          assert.equal(replay.body.replayed, 2);
          for (const c of changes) await arrived(receiver.events, c, 'the recovered webhook');
          for (const c of changes) await settled(c);
          const none = await th.call('POST', '/admin/deliveries/replay', {
            token: operator(),
            body: { recipient: kbo('ocmwGent') },
          });
          assert.deepEqual(none.body, { replayed: 0 });
        } finally {
          await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
        }
      });
    });

    // ---- 7. batches ----

    describe('batch mode', () => {
      test('events arrive as application/cloudevents-batch+json arrays, which the demo inbox takes', async () => {
        const receiver = await inbox();
        const settings = await deliverTo('ocmwGent', { mode: 'push', url: receiver.url, batch: true });
        assert.deepEqual(settings, { mode: 'push', url: receiver.url, batch: true });
        const current = await th.call('GET', '/v1/changes/delivery', { token: token('ocmwGent') });
        assert.deepEqual(current.body, settings);
        try {
          const people = [G[8]!, G[0]!, G[1]!];
          const changes: string[] = [];
          for (const p of people) changes.push((await publish(move(p))).changeId);
          for (const c of changes) await arrived(receiver.events, c, 'the demo inbox in batch mode');
          assert.deepEqual(receiver.events.map((e) => e.subject).sort(), people.map((p) => p.insz).sort());
          assert.equal(receiver.refused.size, 0, 'every batch request was signed');
          assert.equal(receiver.duplicates, 0);
          for (const c of changes) await settled(c);
        } finally {
          await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
        }
      });

      test('a backlog goes out several events per signed request', async () => {
        await deliverTo('ocmwGent', { mode: 'pull' });
        try {
          const waiting = [
            (await publish(move(G[8]!))).changeId,
            (await publish(move(G[0]!))).changeId,
            (await publish(move(G[1]!))).changeId,
          ];
          await waitFor(
            'the changes in OCMW Gent’s feed',
            async () => (await feed('ocmwGent')).events.length === waiting.length,
          );
          const rec = await recorder();
          await deliverTo('ocmwGent', { mode: 'push', url: rec.url, batch: true });
          for (const c of waiting) await arrived(rec.accepted, c, 'the batch webhook');
          for (const r of rec.requests) {
            assert.equal(r.headers['content-type'], 'application/cloudevents-batch+json');
            assert.ok(r.verdict.ok, JSON.stringify(r.verdict));
            const body = JSON.parse(r.body.toString('utf8')) as unknown;
            assert.ok(Array.isArray(body) && body.length === r.events.length, 'a JSON array of events');
          }
          assert.deepEqual(rec.accepted.map((e) => e.data.change).sort(), [...waiting].sort());
          if (channel === 'embedded') {
            // In process, the waiting deliveries are handed over at once and share a request. (JetStream
            // hands the workers one message at a time, so there each goes alone unless the webhook is busy.)
            assert.deepEqual(
              rec.requests.map((r) => r.events.length),
              [3],
            );
          }
          for (const c of waiting) await settled(c);
        } finally {
          await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
        }
      });
    });

    // ---- 8. pull ----

    describe('the pull feed (CPAS Liège)', () => {
      let published: string[] = [];
      let page: FeedPage;

      before(async () => {
        // Start from an empty feed: acknowledge what the demo and earlier tests left.
        const left = await feed('cpasLiege', '?limit=1000');
        if (left.cursor) await ack('cpasLiege', left.cursor);
        assert.deepEqual((await feed('cpasLiege')).events, []);
      });

      test('lists its events oldest first, each with a cursor, fields filtered', async () => {
        published = [
          (await publish(move(L[0]!, 0))).changeId,
          (
            await publish(
              change(L[1]!.insz, { identityCardNumber: '591-0000000-01', civilStatus: 'widowed' }),
            )
          ).changeId,
          (await publish(move(L[0]!, 1))).changeId,
        ];
        page = await waitFor('three events in the feed', async () => {
          const p = await feed('cpasLiege');
          return p.events.length === 3 && p;
        });
        assert.deepEqual(
          page.events.map((e) => e.data.change),
          published,
        );
        const cursors = page.events.map((e) => e.cursor);
        assert.ok(cursors.every((c) => /^\d+$/.test(c)));
        assert.deepEqual(
          [...cursors].sort((x, y) => Number(x) - Number(y)),
          cursors,
          'increasing cursors',
        );
        assert.equal(page.cursor, cursors[2]);
        const [, second] = page.events;
        assert.equal(second?.specversion, '1.0');
        assert.equal(second?.type, 'be.crossroads.change.nr.identity');
        assert.equal(second?.subject, L[1]!.insz);
        assert.deepEqual(second?.data.values, { civilStatus: 'widowed' });
        assert.deepEqual(second?.data.authorisation, OCMW_IDENTITY);
      });

      test('limit pages; after pages on; an unqualified GET starts again at the oldest unacknowledged', async () => {
        const cursors = page.events.map((e) => e.cursor);
        const first = await feed('cpasLiege', '?limit=2');
        assert.deepEqual(
          first.events.map((e) => e.data.change),
          published.slice(0, 2),
        );
        assert.equal(first.cursor, cursors[1]);
        const second = await feed('cpasLiege', `?after=${first.cursor}&limit=2`);
        assert.deepEqual(
          second.events.map((e) => e.data.change),
          published.slice(2),
        );
        const end = await feed('cpasLiege', `?after=${second.cursor}`);
        assert.deepEqual(end, { events: [], cursor: null });
        // Nothing acknowledged yet: a reader that crashed starts where it was.
        assert.deepEqual(
          (await feed('cpasLiege')).events.map((e) => e.data.change),
          published,
        );
      });

      test('POST /v1/changes/ack removes the events up to the cursor', async () => {
        const first = await feed('cpasLiege', '?limit=2');
        assert.equal(await ack('cpasLiege', first.cursor!), 2);
        assert.equal(await ack('cpasLiege', first.cursor!), 0, 'acknowledging again is harmless');
        const rest = await feed('cpasLiege');
        assert.deepEqual(
          rest.events.map((e) => e.data.change),
          published.slice(2),
        );
        assert.deepEqual((await view(published[0]!)).deliveries, { pending: 0, delivered: 1, dead: 0 });
        assert.deepEqual((await view(published[2]!)).deliveries, { pending: 1, delivered: 0, dead: 0 });
        assert.equal(await ack('cpasLiege', rest.cursor!), 1);
        assert.deepEqual(await feed('cpasLiege'), { events: [], cursor: null });
        assert.deepEqual((await view(published[2]!)).deliveries, { pending: 0, delivered: 1, dead: 0 });
      });

      test('a cursor the hub did not give is 400 CURSOR_INVALID', async () => {
        for (const bad of ['garbage', '-1', '1.5', '0x10']) {
          assertProblem(
            await th.call('GET', `/v1/changes/feed?after=${encodeURIComponent(bad)}`, {
              token: token('cpasLiege'),
            }),
            400,
            'CURSOR_INVALID',
          );
          assertProblem(
            await th.call('POST', '/v1/changes/ack', { token: token('cpasLiege'), body: { cursor: bad } }),
            400,
            'CURSOR_INVALID',
          );
        }
        assertProblem(
          await th.call('GET', '/v1/changes/feed?limit=0', { token: token('cpasLiege') }),
          400,
          'VALIDATION_FAILED',
        );
        assertProblem(await th.call('GET', '/v1/changes/feed'), 401, 'UNAUTHENTICATED');
      });

      test('one institution’s feed holds only its own events', async () => {
        const accepted = await publish(move(L[1]!, 2));
        await waitFor('the event in CPAS Liège’s feed', async () =>
          (await feed('cpasLiege')).events.some((e) => e.data.change === accepted.changeId),
        );
        const other = await feed('ocmwGent', '?limit=1000');
        assert.ok(!other.events.some((e) => e.data.change === accepted.changeId));
        // Nor can it ack them: a cursor is only ever one of the caller's own feed positions.
        const theirs = (await feed('cpasLiege')).events.find((e) => e.data.change === accepted.changeId)!;
        for (const cursor of [theirs.cursor, String(Number.MAX_SAFE_INTEGER).slice(0, 15)]) {
          const refused = await th.call<ProblemBody>('POST', '/v1/changes/ack', {
            token: token('ocmwGent'),
            body: { cursor },
          });
          assert.equal(refused.status, 400);
          assert.equal(refused.body.code, 'CURSOR_INVALID');
        }
        assert.ok((await feed('cpasLiege')).events.some((e) => e.data.change === accepted.changeId));
      });

      test('switching from pull to push sends the waiting events to the webhook, in order', async () => {
        const waiting = (await feed('cpasLiege', '?limit=1000')).events.map((e) => e.data.change);
        const more = [(await publish(move(L[0]!, 4))).changeId, (await publish(move(L[0]!, 5))).changeId];
        await waitFor(
          'the new events in the feed',
          async () => (await feed('cpasLiege', '?limit=1000')).events.length === waiting.length + 2,
        );
        const receiver = await inbox();
        try {
          await deliverTo('cpasLiege', { mode: 'push', url: receiver.url });
          for (const c of [...waiting, ...more])
            await arrived(receiver.events, c, 'CPAS Liège’s new webhook');
          const l0 = receiver.events.filter((e) => e.subject === L[0]!.insz).map((e) => e.data.change);
          assert.deepEqual(l0, more, 'one person’s events in publish order');
          assert.deepEqual(await feed('cpasLiege'), { events: [], cursor: null }, 'nothing left in the feed');
          for (const c of [...waiting, ...more]) await settled(c);
        } finally {
          assert.deepEqual(await deliverTo('cpasLiege', { mode: 'pull' }), {
            mode: 'pull',
            url: null,
            batch: false,
          });
        }
      });

      test('switching from push to pull moves a delivery still being retried into the feed', async () => {
        let release = (): void => undefined;
        const hanging = new Promise<void>((resolve) => (release = resolve));
        const rec = await recorder(async (r) => {
          if (r.n > 0) await hanging; // the retry hangs while the institution switches
          return 503;
        });
        await deliverTo('ocmwGent', { mode: 'push', url: rec.url });
        try {
          const accepted = await publish(move(G[4]!));
          await waitFor('the first retry to be under way', () => rec.requests.length >= 2);
          await deliverTo('ocmwGent', { mode: 'pull' });
          release();
          const event = await waitFor('the delivery in OCMW Gent’s feed', async () =>
            (await feed('ocmwGent')).events.find((e) => e.data.change === accepted.changeId),
          );
          await waitFor('the push workers to let it go', () => th.hub.changes.workers.size === 0);
          assert.equal(rec.requests.length, 2, 'no attempt after the switch');
          assert.deepEqual(
            (await deliveriesOf(accepted.changeId)).map((d) => [d.id, d.mode, d.status]),
            [[event.id, 'pull', 'pending']],
          );
          assert.equal(await ack('ocmwGent', event.cursor), 1);
          assert.deepEqual((await view(accepted.changeId)).deliveries, { pending: 0, delivered: 1, dead: 0 });
        } finally {
          release();
          await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
        }
      });

      test('a delivery that enters the feed late (a replay) goes after every cursor already acknowledged', async () => {
        const receiver = await inbox();
        receiver.failNext(1_000_000);
        await deliverTo('ocmwGent', { mode: 'push', url: receiver.url });
        try {
          const late = await publish(move(G[8]!));
          const dead = await waitFor('the delivery to be dead', async () => {
            const result = await th.call<{ dead: { id: string; change: string }[] }>(
              'GET',
              '/admin/deliveries',
              {
                token: operator(),
              },
            );
            return result.body.dead.find((d) => d.change === late.changeId);
          });
          await deliverTo('ocmwGent', { mode: 'pull' });
          const later = await publish(move(G[9]!));
          const page = await waitFor('the later change in the feed', async () => {
            const f = await feed('ocmwGent', '?limit=1000');
            return f.events.some((e) => e.data.change === later.changeId) ? f : undefined;
          });
          // The operator replays the dead one while the institution works through its page.
          const replay = await th.call('POST', '/admin/deliveries/replay', {
            token: operator(),
            body: { ids: [dead.id] },
          });
          assert.equal(replay.status, 200, JSON.stringify(replay.body));
          await ack('ocmwGent', page.cursor!);
          const next = await feed('ocmwGent');
          assert.deepEqual(
            next.events.map((e) => e.data.change),
            [late.changeId],
            'the replayed delivery is still to be read, after the acknowledged cursor',
          );
          assert.ok(Number(next.events[0]!.cursor) > Number(page.cursor));
          await ack('ocmwGent', next.cursor!);
        } finally {
          await deliverTo('ocmwGent', { mode: 'push', url: gentInbox.url });
        }
      });
    });

    // ---- 9. the exchange log ----

    describe('every delivery is in the exchange log', () => {
      test('a change record names the recipient as caller, the source as provider, the authorisation — written before the event left', async () => {
        const { event, loggedFirst, accepted } = await pushedChange();
        assert.ok(loggedFirst, 'the record existed when the webhook received the event');
        const record = await logRecord(event.id);
        const leefloon = (await registrationsAt('ocmwGent', G[3]!.insz)).find((r) => r.capacity === 2)!;
        assert.equal(record.kind, 'change');
        assert.equal(record.exchangeId, event.id);
        assert.equal(record.caller, kbo('ocmwGent'));
        assert.deepEqual(record.providers, [kbo('nr')]);
        assert.equal(record.person, G[3]!.insz);
        assert.equal(record.service, IDENTITY);
        assert.equal(record.serviceVersion, 1);
        assert.equal(record.purpose, 'social-investigation');
        assert.deepEqual(record.authorisation, OCMW_IDENTITY);
        assert.deepEqual(record.registrations, [leefloon.id]);
        assert.equal(record.decision, 'permit');
        assert.equal(record.outcome, 'forwarded');
        assert.deepEqual(record.period, { start: (await view(accepted.changeId)).effectiveDate, end: null });
        assert.deepEqual(
          [...record.fields].sort(),
          Object.keys(event.data.values).sort(),
          'the record names the fields that were sent',
        );
        assertProblem(
          await th.call('GET', `/admin/exchanges/${event.id}`, { token: token('ocmwGent') }),
          403,
          'OPERATOR_ONLY',
        );
      });

      test('pulled deliveries are logged too, one record per delivery', async () => {
        const accepted = await publish(move(L[1]!, 6));
        const event = await waitFor('the event in CPAS Liège’s feed', async () =>
          (await feed('cpasLiege')).events.find((e) => e.data.change === accepted.changeId),
        );
        const record = await logRecord(event.id);
        assert.equal(record.kind, 'change');
        assert.equal(record.caller, kbo('cpasLiege'));
        assert.deepEqual(record.providers, [kbo('nr')]);
        assert.equal(record.person, L[1]!.insz);
        const rows = await deliveriesOf(accepted.changeId);
        assert.deepEqual(
          rows.map((r) => r.id),
          [event.id],
        );
        await ack('cpasLiege', event.cursor);
      });

      test('the person sees the delivery among the accesses to their data (/me/accesses)', async () => {
        const { event } = await pushedChange();
        const browser = await loginAs(th, G[3]!.insz);
        const response = await browser.get('/me/accesses?limit=200');
        assert.equal(response.status, 200);
        const page = (await response.json()) as AccessPage;
        const entry = page.entries.find(
          (e) => (JSON.parse(e.record) as { exchangeId: string }).exchangeId === event.id,
        );
        assert.ok(entry, 'the delivery is listed');
        assert.equal(entry.kind, 'change');
        assert.equal(entry.outcome, 'forwarded');
        assert.equal(entry.institution?.kbo, kbo('ocmwGent'));
        assert.equal(entry.service?.id, IDENTITY);
        assert.equal(entry.purpose, 'social-investigation');
        assert.deepEqual(entry.authorisation, OCMW_IDENTITY);
        for (const e of page.entries)
          assert.equal((JSON.parse(e.record) as { person: string }).person, G[3]!.insz);
      });
    });

    // ---- never a 500 ----

    test('no answer was a 500 and the hub reported no fault of its own', async () => {
      assert.deepEqual(th.internalErrors, []);
      assert.deepEqual(faults, []);
      const s = await status();
      assert.equal(s.dead, 0);
    });
  });
}

/** The refusal code of a verification, or 'ok'. */
function refusal(result: ReturnType<typeof verifyRequest>): string {
  return result.ok ? 'ok' : result.code;
}

suite('embedded');
suite('nats');

/** An object nested `depth` levels deep: { a: { a: … } }. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

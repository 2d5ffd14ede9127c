// The JetStream push channel against a real NATS server: publish and consume, deduplication by
// delivery id, acks once settled, redelivery of what a closed node left, redeliveries joined.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { OutgoingDelivery, Settled } from '../../src/mutations/ledger.ts';
import { deleteNatsStream, NatsPushChannel } from '../../src/mutations/nats.ts';
import type { PushItem, PushWorkers } from '../../src/mutations/push.ts';

const URL_ = process.env.CROSSROADS_TEST_NATS_URL;
const skip = URL_ ? false : 'set CROSSROADS_TEST_NATS_URL to run against a NATS server with JetStream';
const servers = URL_ ?? '';

function delivery(seq: number, recipientId = 'inst-a'): OutgoingDelivery {
  return {
    seq,
    id: `d-${seq}`,
    recipientId,
    insz: `8501010010${seq}`,
    event: `{"id":"e${seq}"}`,
    attempts: 0,
  };
}

function done(item: PushItem): Settled {
  return { seq: item.seq, delivered: true, attempts: 1, error: null, dead: false };
}

/** Stands in for PushWorkers: records what it is handed. */
function fakeWorkers(): { items: PushItem[]; workers: PushWorkers; closed: () => boolean } {
  const items: PushItem[] = [];
  let closed = false;
  const workers = {
    add: (batch: readonly PushItem[]) => void items.push(...batch),
    close: async () => void (closed = true),
  };
  return { items, workers: workers as unknown as PushWorkers, closed: () => closed };
}

async function until(check: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  for (const end = Date.now() + ms; !(await check()); await sleep(20)) {
    if (Date.now() > end) throw new Error('timed out waiting');
  }
}

/** A fresh stream per test, deleted afterwards with whatever channels the test opened. */
async function withStream(body: (stream: string, opened: NatsPushChannel[]) => Promise<void>): Promise<void> {
  const stream = `TEST_PUSH_${randomUUID().replaceAll('-', '').slice(0, 12).toUpperCase()}`;
  const opened: NatsPushChannel[] = [];
  try {
    await body(stream, opened);
  } finally {
    for (const channel of opened) await channel.close();
    await deleteNatsStream(servers, stream);
  }
}

async function open(stream: string, opened: NatsPushChannel[]) {
  const fake = fakeWorkers();
  const errors: unknown[] = [];
  const onError = (e: unknown) => void errors.push(e);
  const channel = await NatsPushChannel.connect({
    servers,
    workers: fake.workers,
    onError,
    stream,
    ackWaitMs: 2_000,
  });
  opened.push(channel);
  return { channel, errors, ...fake };
}

async function consumerState(stream: string): Promise<{ pending: number; ackPending: number }> {
  const nc = await connect({ servers });
  try {
    const info = await (await jetstreamManager(nc)).consumers.info(stream, 'push-workers');
    return { pending: info.num_pending, ackPending: info.num_ack_pending };
  } finally {
    await nc.close();
  }
}

test('enqueue publishes; the consumer hands each delivery to the workers once, in order', { skip }, () =>
  withStream(async (stream, opened) => {
    const { channel, items, closed, errors } = await open(stream, opened);
    const sent = [delivery(1), delivery(2, 'inst.b *'), delivery(3)];
    await channel.enqueue(sent);
    await until(() => items.length === 3);
    await sleep(300);
    assert.deepEqual(
      items.map(({ settled: _, ...d }) => d),
      sent,
    );
    await channel.close();
    assert.equal(closed(), true);
    assert.deepEqual(errors, []);
  }),
);

test('enqueueing the same delivery again is dropped by JetStream', { skip }, () =>
  withStream(async (stream, opened) => {
    const { channel, items } = await open(stream, opened);
    await channel.enqueue([delivery(1)]);
    await channel.enqueue([delivery(1), delivery(2)]);
    await until(() => items.length === 2);
    await sleep(300);
    assert.deepEqual(
      items.map((i) => i.id),
      ['d-1', 'd-2'],
    );
    const nc = await connect({ servers });
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    await nc.close();
    assert.equal(info.state.messages, 2);
  }),
);

test('a settled delivery is acked and not redelivered to the next node', { skip }, () =>
  withStream(async (stream, opened) => {
    const first = await open(stream, opened);
    await first.channel.enqueue([delivery(1), delivery(2), delivery(3)]);
    await until(() => first.items.length === 3);
    const [one, two, three] = first.items;
    one!.settled!(done(one!));
    two!.settled!('released');
    three!.settled!({ seq: three!.seq, delivered: false, attempts: 12, error: 'HTTP 500', dead: true });
    await first.channel.close();
    assert.deepEqual(await consumerState(stream), { pending: 0, ackPending: 0 });

    const second = await open(stream, opened);
    await sleep(2_500); // past ack_wait
    assert.deepEqual(second.items, []);
  }),
);

test(
  'a delivery not settled (or failed, to be retried) goes to the next node once the first closes',
  { skip },
  () =>
    withStream(async (stream, opened) => {
      const first = await open(stream, opened);
      await first.channel.enqueue([delivery(1), delivery(2)]);
      await until(() => first.items.length === 2);
      const retry = first.items[1]!;
      retry.settled!({ seq: retry.seq, delivered: false, attempts: 1, error: 'HTTP 503', dead: false });
      // Still outstanding past ack_wait: working() keeps JetStream from redelivering it meanwhile.
      await sleep(2_500);
      assert.equal(first.items.length, 2);
      assert.deepEqual(await consumerState(stream), { pending: 0, ackPending: 2 });
      await first.channel.close();

      const second = await open(stream, opened);
      await until(() => second.items.length === 2);
      assert.deepEqual(
        second.items.map((i) => i.id),
        ['d-1', 'd-2'],
      );
      for (const item of second.items) item.settled!(done(item));
      await second.channel.close();
      assert.deepEqual(await consumerState(stream), { pending: 0, ackPending: 0 });
      assert.deepEqual([...first.errors, ...second.errors], []);
    }),
);

test('a copy of an outstanding delivery is joined to it and acked with it', { skip }, () =>
  withStream(async (stream, opened) => {
    const { channel, items } = await open(stream, opened);
    await channel.enqueue([delivery(1)]);
    await until(() => items.length === 1);
    // The same delivery published again past the duplicate window (here: under another msgID).
    const nc = await connect({ servers });
    await jetstream(nc).publish(`${stream.toLowerCase()}.inst-a`, JSON.stringify(delivery(1)), {
      msgID: 'again',
    });
    await nc.close();
    await until(async () => (await consumerState(stream)).ackPending === 2);
    assert.equal(items.length, 1);
    items[0]!.settled!(done(items[0]!));
    await until(async () => (await consumerState(stream)).ackPending === 0);
    assert.deepEqual(await consumerState(stream), { pending: 0, ackPending: 0 });
  }),
);

test('a malformed message is reported and terminated', { skip }, () =>
  withStream(async (stream, opened) => {
    const { items, errors } = await open(stream, opened);
    const nc = await connect({ servers });
    await jetstream(nc).publish(`${stream.toLowerCase()}.inst-a`, '{"id":1}');
    await nc.close();
    await until(() => errors.length === 1);
    assert.match(String(errors[0]), /malformed push message/);
    await sleep(300);
    assert.deepEqual(items, []);
    assert.deepEqual(await consumerState(stream), { pending: 0, ackPending: 0 });
  }),
);

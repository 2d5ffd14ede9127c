// npm run bench:changes [-- --people 10000 --window 15 --probe 5 --connections 128 --steps 3
//                          --channels embedded,nats --modes single,batch --verify true
//                          --nats nats://127.0.0.1:4222 --trace-fsync --rate <changes/s>]
// Change push under load: the National Register publishes changes (POST /v1/changes, distinct
// sourceReference each) for random people of a directory where each person is registered at about
// 13 of 20 institutions (mean 13.2), and every institution takes its changes pushed to its own
// webhook on loopback. Measured per channel (embedded relay, NATS JetStream) and delivery mode (one
// event per request, CloudEvents batches):
//   - saturation: a closed-loop probe (N publishers back to back): accepted changes/s and
//     deliveries/s while the hub takes all it can; then the backlog's drain rate (nothing published);
//   - sustainable: an open-loop window at a fixed offered rate, started from the probe's figures;
//     accepted changes/s, deliveries/s (events arriving at the receivers), publish-to-delivery
//     latency p50/p99 (POST sent → event arrived, matched by data.change). A rate is sustainable
//     when the hub takes it (accepted ≥ 97 % of offered), every event arrives, and the p99 of the
//     window's last third is not growing away from its first third's. A sustainable first window
//     is followed by one at +20 %, an unsustainable one by one at −25 % (at most --steps windows).
// Writes bench/results/changes.json as { embedded, nats }, each { deliveriesPerSec, p99Ms, mode }
// from the best sustainable window of that channel, with every figure under `details`.
// Processes: the hub (bench/lib/changes-hub.ts: createHub + listen, a fresh data folder per run),
// the 20 receivers (bench/lib/change-receivers.ts, signature verification on), and this process as
// load generator (undici pool). CPU time of each, per window, from /proc and process.cpuUsage();
// with --trace-fsync, the hub's fsync calls per thread during each window (perf trace).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { Random, movedAddress } from '../src/demo/index.ts';
import { dateInBelgium } from '../src/kernel/index.ts';
import { changeEvent, signRequest, verifyRequest } from '../src/mutations/index.ts';
import { deleteNatsStream } from '../src/mutations/nats.ts';
import { SERVICE, personInsz } from './lib/changes-network.ts';
import { cpuBetween, cpuOf, pidOf } from './lib/cpu.ts';
import { type FsyncFigures, sqliteCommitMs, traceFsync } from './lib/fsync-trace.ts';
import { type Child, spawnReady } from './lib/processes.ts';
import { machine, percentile, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    people: { type: 'string', default: '10000' },
    window: { type: 'string', default: '15' },
    probe: { type: 'string', default: '5' },
    connections: { type: 'string', default: '128' },
    steps: { type: 'string', default: '3' },
    channels: { type: 'string', default: 'embedded,nats' },
    modes: { type: 'string', default: 'single,batch' },
    verify: { type: 'string', default: 'true' },
    nats: { type: 'string', default: 'nats://127.0.0.1:4222' },
    'trace-fsync': { type: 'boolean', default: false },
    rate: { type: 'string' },
  },
});
const people = Number(values.people);
const windowSeconds = Number(values.window);
const probeSeconds = Number(values.probe);
const connections = Number(values.connections);
const steps = Number(values.steps);
const verify = values.verify !== 'false';
const natsUrl = values.nats;
/** --rate: one window at this many changes/s, no probe and no search (results not written). */
const fixedRate = values.rate === undefined ? undefined : Number(values.rate);
/** A local nats-server shares the cores: its CPU is counted beside the hub's. */
const natsServerPid = pidOf('nats-server');
const WARM_UP_SECONDS = 2;
/** After the probe: how long the backlog may take to drain before the hub is replaced. */
const DRAIN_LIMIT_MS = 20_000;
/** After a window: events still missing this long after it are a backlog (not sustainable). */
const WINDOW_DRAIN_LIMIT_MS = 10_000;
const today = dateInBelgium(new Date());
const now = (): number => performance.timeOrigin + performance.now();

type Channel = 'embedded' | 'nats';
type Mode = 'single' | 'batch';

interface Sent {
  /** epoch ms the POST was sent / answered */
  readonly at: number;
  done: number;
  changeId: string;
  recipients: number;
}

interface HubReady {
  url: string;
  pid: number;
  sourceToken: string;
  operatorToken: string;
  recipients: { kbo: string; name: string; token: string }[];
  people: number;
  registrations: number;
  setupSeconds: number;
}

interface ReceiversReady {
  urls: string[];
  control: string;
  pid: number;
}

interface ReceiverCount {
  requests: number;
  events: number;
  duplicates: number;
  refused: number;
  malformed: number;
  verifyMs: number;
  refusals: Record<string, number>;
  cpu: { user: number; system: number };
}

/** One hub with its receivers and a publisher; a fresh data folder (and NATS stream) each. */
class Stack {
  readonly sent: Sent[] = [];
  readonly byChange = new Map<string, Sent>();
  /** Arrivals fetched from the receivers so far: change id and epoch ms, in arrival order. */
  readonly arrivedChange: string[] = [];
  readonly arrivedAt: number[] = [];
  inFlight = 0;
  failures = 0;
  firstFailure: string | undefined;
  expected = 0;
  readonly #pool: Pool;
  readonly #random = new Random(2026);
  readonly #tag = `bench-${Date.now().toString(36)}`;
  #n = 0;

  readonly hub: Child;
  readonly hubReady: HubReady;
  readonly receivers: Child;
  readonly receiversReady: ReceiversReady;
  readonly dataDir: string;
  readonly stream: string | undefined;

  private constructor(
    hub: Child,
    hubReady: HubReady,
    receivers: Child,
    receiversReady: ReceiversReady,
    dataDir: string,
    stream: string | undefined,
  ) {
    this.hub = hub;
    this.hubReady = hubReady;
    this.receivers = receivers;
    this.receiversReady = receiversReady;
    this.dataDir = dataDir;
    this.stream = stream;
    this.#pool = new Pool(hubReady.url, { connections, keepAliveTimeout: 30_000 });
  }

  static async start(channel: Channel, mode: Mode): Promise<Stack> {
    const dataDir = mkdtempSync(join(tmpdir(), 'crossroads-changes-'));
    const stream = channel === 'nats' ? `BENCH_CHANGES_${Date.now().toString(36).toUpperCase()}` : undefined;
    const children: Child[] = [];
    try {
      const hub = await spawnReady('bench/lib/changes-hub.ts', {
        CROSSROADS_DATA_DIR: dataDir,
        CROSSROADS_LOG_LEVEL: 'silent',
        CROSSROADS_RATE_LIMIT_PER_MINUTE: '100000000',
        BENCH_PEOPLE: String(people),
        NODE_OPTIONS: process.env.BENCH_HUB_NODE_OPTIONS ?? '',
        ...(stream ? { CROSSROADS_NATS_URL: natsUrl, CROSSROADS_NATS_STREAM: stream } : {}),
      });
      children.push(hub);
      const hubReady = hub.ready as unknown as HubReady;
      const receivers = await spawnReady('bench/lib/change-receivers.ts', {
        HUB_URL: hubReady.url,
        RECEIVERS: String(hubReady.recipients.length),
        VERIFY: verify ? '1' : '0',
        NODE_OPTIONS: '',
      });
      children.push(receivers);
      const receiversReady = receivers.ready as unknown as ReceiversReady;
      // Each recipient subscribes and asks for push to its own receiver, through the API.
      for (const [i, r] of hubReady.recipients.entries()) {
        await call(hubReady.url, 'PUT', `/v1/subscriptions/${SERVICE}`, r.token, {});
        await call(hubReady.url, 'PUT', '/v1/changes/delivery', r.token, {
          mode: 'push',
          url: receiversReady.urls[i],
          batch: mode === 'batch',
        });
      }
      return new Stack(hub, hubReady, receivers, receiversReady, dataDir, stream);
    } catch (error) {
      for (const c of children.reverse()) await c.stop();
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.#pool.close();
    await this.receivers.stop();
    await this.hub.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
    if (this.stream) await deleteNatsStream(natsUrl, this.stream);
  }

  /** One change about a random person: a move, as the National Register would publish it. */
  async publish(): Promise<void> {
    const n = this.#n++;
    const body = JSON.stringify({
      service: SERVICE,
      insz: personInsz(this.#random.int(0, people - 1)),
      effectiveDate: today,
      kind: 'updated',
      data: { address: movedAddress(n % 2 === 0 ? 'gent' : 'liege', n) },
      sourceReference: `${this.#tag}-${n}`,
    });
    const sent: Sent = { at: now(), done: 0, changeId: '', recipients: 0 };
    this.sent.push(sent);
    this.inFlight++;
    try {
      const response = await this.#pool.request({
        path: '/v1/changes',
        method: 'POST',
        headers: { authorization: `Bearer ${this.hubReady.sourceToken}`, 'content-type': 'application/json' },
        body,
      });
      const text = await response.body.text();
      if (response.statusCode === 202) {
        const accepted = JSON.parse(text) as { changeId: string; recipients: number };
        sent.changeId = accepted.changeId;
        sent.recipients = accepted.recipients;
        this.expected += accepted.recipients;
        this.byChange.set(accepted.changeId, sent);
      } else {
        this.#fail(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
      }
    } catch (error) {
      this.#fail(String(error));
    } finally {
      sent.done = now();
      this.inFlight--;
    }
  }

  #fail(why: string): void {
    this.failures++;
    this.firstFailure ??= why;
  }

  /** `concurrency` publishers, each sending its next change when the last one is answered. */
  async closedLoop(seconds: number, concurrency: number): Promise<void> {
    const until = now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (now() < until) await this.publish();
      }),
    );
  }

  /**
   * Changes at a fixed rate, whatever the answers' pace (open loop), with at most `connections`
   * requests in flight; a send due while that many are in flight is skipped and counted.
   */
  async openLoop(perSecond: number, seconds: number): Promise<{ skipped: number }> {
    const start = now();
    let issued = 0;
    let skipped = 0;
    const inFlight = new Set<Promise<void>>();
    while (now() - start < seconds * 1000) {
      const due = Math.floor(((now() - start) / 1000) * perSecond) - issued;
      for (let i = 0; i < due; i++) {
        issued++;
        if (this.inFlight >= connections) {
          skipped++;
          continue;
        }
        const p = this.publish().finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(inFlight);
    return { skipped };
  }

  async count(): Promise<ReceiverCount> {
    return (await (await fetch(`${this.receiversReady.control}/count`)).json()) as ReceiverCount;
  }

  /** Fetches the receivers' new arrivals. */
  async collect(): Promise<void> {
    const url = `${this.receiversReady.control}/arrivals?since=${this.arrivedAt.length}`;
    const { changes, at } = (await (await fetch(url)).json()) as { changes: string[]; at: number[] };
    for (let i = 0; i < changes.length; i++) {
      this.arrivedChange.push(changes[i]!);
      this.arrivedAt.push(at[i]!);
    }
  }

  /**
   * Waits (publishing nothing) until every accepted change's events have arrived, or `limitMs`.
   * Answers whether all arrived, and the delivery rate while waiting (the backlog's drain rate).
   */
  async drain(
    limitMs: number,
    from?: { at: number; events: number },
  ): Promise<{ drained: boolean; seconds: number; deliveriesPerSec: number }> {
    const start = from?.at ?? now();
    const first = from?.events ?? (await this.count()).events;
    let events = from ? (await this.count()).events : first;
    while (events < this.expected && now() - start < limitMs) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      events = (await this.count()).events;
    }
    const seconds = (now() - start) / 1000;
    await this.collect();
    return {
      drained: events >= this.expected,
      seconds: round(seconds, 1),
      deliveriesPerSec: seconds > 0.2 ? Math.round((events - first) / seconds) : 0,
    };
  }

  /** Figures of what was sent, answered and delivered in [from, to] (epoch ms). */
  figures(from: number, to: number) {
    const seconds = (to - from) / 1000;
    const inWindow = this.sent.filter((s) => s.at >= from && s.at < to);
    const accepted = this.sent.filter((s) => s.changeId !== '' && s.done >= from && s.done < to).length;
    let deliveries = 0;
    const latencies: number[] = [];
    const thirds: number[][] = [[], [], []];
    for (let i = 0; i < this.arrivedAt.length; i++) {
      const at = this.arrivedAt[i]!;
      if (at >= from && at < to) deliveries++;
      const sent = this.byChange.get(this.arrivedChange[i]!);
      if (!sent || sent.at < from || sent.at >= to) continue;
      latencies.push(at - sent.at);
      thirds[Math.min(2, Math.floor(((sent.at - from) / (to - from)) * 3))]!.push(at - sent.at);
    }
    const expected = inWindow.reduce((sum, s) => sum + s.recipients, 0);
    const answered = inWindow.filter((s) => s.done > 0).map((s) => s.done - s.at);
    for (const list of [latencies, answered, ...thirds]) list.sort((a, b) => a - b);
    return {
      offeredChangesPerSec: Math.round(inWindow.length / seconds),
      acceptedChangesPerSec: Math.round(accepted / seconds),
      deliveriesPerSec: Math.round(deliveries / seconds),
      recipientsPerChange: round(expected / Math.max(1, inWindow.filter((s) => s.changeId).length), 2),
      p50Ms: round(percentile(latencies, 50), 1),
      p99Ms: round(percentile(latencies, 99), 1),
      maxMs: round(latencies.at(-1) ?? NaN, 1),
      p99ByThirdMs: thirds.map((t) => round(percentile(t, 99), 1)),
      publishP50Ms: round(percentile(answered, 50), 1),
      publishP99Ms: round(percentile(answered, 99), 1),
      missing: expected - latencies.length,
    };
  }

  /** CPU use snapshot of the hub, the receivers and this process (the load generator). */
  cpu() {
    return {
      at: now(),
      hub: cpuOf(this.hubReady.pid),
      receivers: cpuOf(this.receiversReady.pid),
      natsServer: this.stream && natsServerPid ? cpuOf(natsServerPid) : undefined,
      load: process.cpuUsage(),
    };
  }
}

type WindowResult = ReturnType<Stack['figures']> & {
  offeredPerSec: number;
  skipped: number;
  failures: number;
  sustainable: boolean;
  drainSeconds: number;
  cpuCores: ReturnType<typeof cpuSince> | undefined;
  cpuUsPerDelivery: ReturnType<typeof perDelivery> | undefined;
  fsync: FsyncFigures | undefined;
};

/** CPU µs each process spent per event delivered. */
function perDelivery(cpu: ReturnType<typeof cpuSince>, deliveriesPerSec: number) {
  const us = (cores: number | undefined): number | null =>
    cores === undefined || deliveriesPerSec === 0 ? null : Math.round((cores * 1e6) / deliveriesPerSec);
  return {
    hub: us(cpu.hub?.cores),
    receivers: us(cpu.receivers),
    loadGenerator: us(cpu.loadGenerator),
    natsServer: us(cpu.natsServer),
  };
}

function cpuSince(before: ReturnType<Stack['cpu']>, after: ReturnType<Stack['cpu']>) {
  const seconds = (after.at - before.at) / 1000;
  const load = process.cpuUsage(before.load);
  return {
    hub: cpuBetween(before.hub, after.hub, seconds),
    receivers: cpuBetween(before.receivers, after.receivers, seconds)?.cores,
    natsServer: cpuBetween(before.natsServer, after.natsServer, seconds)?.cores,
    loadGenerator: round((load.user + load.system) / 1e6 / seconds, 2),
  };
}

async function call(base: string, method: string, path: string, token: string, body: unknown): Promise<void> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
}

/**
 * What signing (hub) and verifying (receiver) one webhook request costs in isolation, in µs: a
 * typical event alone, and a batch of 100 (one signature over the whole body either way).
 */
function signatureCost() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const event = JSON.stringify(
    changeEvent({
      deliveryId: randomUUID(),
      source: 'urn:crossroads:hub:bench',
      changeId: randomUUID(),
      service: { id: SERVICE, version: 1 },
      kind: 'updated',
      insz: personInsz(1),
      effectiveDate: today,
      publishedBy: '0212345678',
      time: new Date().toISOString(),
      authorisation: { ref: 'BENCH/CHANGES/1', version: 1 },
      purpose: 'keep-file-current',
      values: { address: movedAddress('gent', 1) },
    }),
  );
  const url = 'http://127.0.0.1:40000/crossroads/changes';
  const cost = (body: string, contentType: string) => {
    const times = { sign: [] as number[], verify: [] as number[] };
    for (let i = 0; i < 3000; i++) {
      let t = performance.now();
      const headers = signRequest({
        method: 'POST',
        url,
        contentType,
        body,
        key: { kid: 'bench', privateKey },
        created: Math.floor(Date.now() / 1000),
      });
      times.sign.push((performance.now() - t) * 1000);
      t = performance.now();
      const verdict = verifyRequest({
        method: 'POST',
        url,
        headers: { 'content-type': contentType, ...headers },
        body,
        key: () => publicKey,
        now: Math.floor(Date.now() / 1000),
      });
      times.verify.push((performance.now() - t) * 1000);
      if (!verdict.ok) throw new Error(`signature check failed: ${verdict.code}`);
    }
    // The first 500 warm up.
    const p50 = (list: number[]) =>
      round(
        percentile(
          list.slice(500).sort((a, b) => a - b),
          50,
        ),
        1,
      );
    return { bytes: body.length, signP50Us: p50(times.sign), verifyP50Us: p50(times.verify) };
  };
  return {
    single: cost(event, 'application/cloudevents+json'),
    batchOf100: cost(`[${Array<string>(100).fill(event).join(',')}]`, 'application/cloudevents-batch+json'),
  };
}

async function natsAvailable(): Promise<string | undefined> {
  try {
    const stream = `BENCH_CHANGES_CHECK_${Date.now().toString(36).toUpperCase()}`;
    await deleteNatsStream(natsUrl, stream); // connects and asks JetStream; a missing stream is fine
    return undefined;
  } catch (error) {
    return `no NATS JetStream at ${natsUrl}: ${String(error)}`;
  }
}

/**
 * Saturation: publishers back to back (the first second not counted), then the backlog's drain
 * with nothing published. Answers the figures and the first rate to try for a sustainable window.
 */
async function probe(stack: Stack, label: string) {
  const probeStart = now();
  const cpu0 = stack.cpu();
  await stack.closedLoop(probeSeconds, connections);
  const cpu1 = stack.cpu();
  const probeEnd = now();
  const atEnd = { at: probeEnd, events: (await stack.count()).events };
  const backlog = stack.expected - atEnd.events;
  const drain = await stack.drain(DRAIN_LIMIT_MS, atEnd);
  // Latencies of the changes sent during the probe, with what arrived while draining.
  const figures = { ...stack.figures(probeStart + 1000, probeEnd), cpuCores: cpuSince(cpu0, cpu1) };
  const saturation = {
    acceptedChangesPerSec: figures.acceptedChangesPerSec,
    deliveriesPerSec: figures.deliveriesPerSec,
    p50Ms: figures.p50Ms,
    p99Ms: figures.p99Ms,
    backlogAtEnd: backlog,
    drainDeliveriesPerSec: drain.deliveriesPerSec,
    drainSeconds: drain.seconds,
    drained: drain.drained,
    cpuCores: figures.cpuCores,
  };
  console.log(`${label} saturation: ${JSON.stringify(saturation)}`);

  // The first rate to try: deliveries alone ran at drainRate, publishing alone at most at
  // accepted; both share the cores, so 1 / (1/accepted + m/drainRate) changes/s.
  const m = figures.recipientsPerChange;
  const drainRate = drain.deliveriesPerSec || figures.deliveriesPerSec;
  const rate = Math.max(
    figures.deliveriesPerSec / m,
    1 / (1 / figures.acceptedChangesPerSec + m / Math.max(1, drainRate)),
  );
  return { saturation, rate: Math.max(10, Math.round(0.9 * Math.min(rate, figures.acceptedChangesPerSec))) };
}

/** Probe, drain, then windows at a fixed rate until one is sustainable (or `steps` are spent). */
async function measure(channel: Channel, mode: Mode) {
  const label = `${channel}/${mode}`;
  let stack = await Stack.start(channel, mode);
  const setupSeconds = stack.hubReady.setupSeconds;
  try {
    // One change first: every recipient receives it, and no receiver refuses a signature.
    await stack.publish();
    const check = await stack.drain(10_000);
    const counted = await stack.count();
    if (!check.drained || counted.refused > 0 || stack.failures > 0) {
      throw new Error(
        `${label}: the first change did not arrive cleanly (${JSON.stringify({ check, counted, failure: stack.firstFailure })})`,
      );
    }

    const { saturation, rate: firstRate } =
      fixedRate === undefined ? await probe(stack, label) : { saturation: null, rate: fixedRate };
    let rate = firstRate;
    const windows: WindowResult[] = [];
    let best: WindowResult | undefined;
    for (let step = 0; step < (fixedRate === undefined ? steps : 1); step++) {
      if (stack.arrivedAt.length < stack.expected) {
        // A backlog left over would slow this window: start from a fresh hub.
        await stack.stop();
        stack = await Stack.start(channel, mode);
      }
      const failuresBefore = stack.failures;
      const start = now();
      const timing = {
        from: start + WARM_UP_SECONDS * 1000,
        to: start + (WARM_UP_SECONDS + windowSeconds) * 1000,
      };
      let cpuFrom: ReturnType<Stack['cpu']> | undefined;
      let cpuTo: ReturnType<Stack['cpu']> | undefined;
      let fsync: Promise<FsyncFigures | undefined> = Promise.resolve(undefined);
      const marks = [
        setTimeout(() => {
          cpuFrom = stack.cpu();
          if (values['trace-fsync']) fsync = traceFsync(stack.hubReady.pid, windowSeconds);
        }, WARM_UP_SECONDS * 1000),
        setTimeout(() => (cpuTo = stack.cpu()), (WARM_UP_SECONDS + windowSeconds) * 1000),
      ];
      const { skipped } = await stack.openLoop(rate, WARM_UP_SECONDS + windowSeconds);
      marks.forEach(clearTimeout);
      cpuTo ??= stack.cpu();
      const drained = await stack.drain(WINDOW_DRAIN_LIMIT_MS);
      const f = stack.figures(timing.from, timing.to);
      const [first, , last] = f.p99ByThirdMs;
      // Sustainable: the hub took what was offered (the generator did not have to hold sends back
      // for want of answers), everything arrived, and latency did not grow through the window.
      const sustainable =
        drained.drained &&
        f.missing === 0 &&
        skipped <= rate * windowSeconds * 0.01 &&
        f.acceptedChangesPerSec >= 0.97 * rate &&
        last! <= 2 * first! + 100;
      const window: WindowResult = {
        offeredPerSec: rate,
        ...f,
        skipped,
        failures: stack.failures - failuresBefore,
        sustainable,
        drainSeconds: drained.seconds,
        cpuCores: cpuFrom ? cpuSince(cpuFrom, cpuTo) : undefined,
        cpuUsPerDelivery: cpuFrom ? perDelivery(cpuSince(cpuFrom, cpuTo), f.deliveriesPerSec) : undefined,
        fsync: await fsync,
      };
      windows.push(window);
      console.log(`${label} window at ${rate} changes/s: ${JSON.stringify(window)}`);
      if (sustainable) {
        if (!best || window.deliveriesPerSec > best.deliveriesPerSec) best = window;
        // The first window held: try 20 % more once.
        if (step === 0) rate = Math.round(rate * 1.2);
        else break;
      } else {
        if (best) break;
        rate = Math.max(10, Math.round(rate * 0.75));
      }
    }
    const receivers = await stack.count();
    return {
      channel,
      mode,
      sustainable: best ?? null,
      saturation,
      windows,
      receivers: {
        verify,
        requests: receivers.requests,
        events: receivers.events,
        duplicates: receivers.duplicates,
        refused: receivers.refused,
        eventsPerRequest: round(receivers.events / Math.max(1, receivers.requests), 1),
        // wall time inside verifyRequest (signature base, Content-Digest, Ed25519), under load
        verifyUsPerRequest: round((receivers.verifyMs * 1000) / Math.max(1, receivers.requests), 1),
      },
      failures: stack.failures,
      firstFailure: stack.firstFailure ?? null,
      setupSeconds,
      registrations: stack.hubReady.registrations,
    };
  } finally {
    await stack.stop();
  }
}

const startedAt = performance.now();
const loadAverageAtStart = loadavg().map((x) => round(x, 2));
const commitMsAtStart = sqliteCommitMs();
const signature = signatureCost();
const natsProblem = values.channels.includes('nats') ? await natsAvailable() : undefined;
if (natsProblem) console.warn(`${natsProblem}: the NATS runs are skipped`);
const runs: Awaited<ReturnType<typeof measure>>[] = [];
for (const channel of values.channels.split(',') as Channel[]) {
  if (channel === 'nats' && natsProblem) continue;
  for (const mode of values.modes.split(',') as Mode[]) runs.push(await measure(channel, mode));
}

const pickBest = (channel: Channel) => {
  const candidates = runs.filter((r) => r.channel === channel && r.sustainable);
  const best = candidates.sort(
    (a, b) => b.sustainable!.deliveriesPerSec - a.sustainable!.deliveriesPerSec,
  )[0];
  return best
    ? {
        deliveriesPerSec: best.sustainable!.deliveriesPerSec,
        p99Ms: best.sustainable!.p99Ms,
        mode: best.mode,
      }
    : null;
};
const result = {
  embedded: pickBest('embedded'),
  nats: natsProblem ? null : pickBest('nats'),
  details: runs,
  signature,
  settings: {
    people,
    registrations: runs[0]?.registrations ?? null,
    institutions: 20,
    windowSeconds,
    warmUpSeconds: WARM_UP_SECONDS,
    probeSeconds,
    connections,
    receiverVerifiesSignatures: verify,
    traceFsync: values['trace-fsync'],
    deliveryConcurrency: Number(process.env.CROSSROADS_DELIVERY_CONCURRENCY ?? 8),
    deliveryMaxBatch: Number(process.env.CROSSROADS_DELIVERY_MAX_BATCH ?? 100),
    nats: natsProblem ?? natsUrl,
    totalSeconds: Math.round((performance.now() - startedAt) / 1000),
    // The machine is shared: a 1-minute load above ~2 at start means other work competed.
    loadAverage: { atStart: loadAverageAtStart, atEnd: loadavg().map((x) => round(x, 2)) },
    // One SQLite commit with fsync (WAL, synchronous=FULL) on this disk, before and after the runs.
    commitMs: { atStart: commitMsAtStart, atEnd: sqliteCommitMs() },
  },
  machine: machine(),
};
console.table(
  runs.map((r) => ({
    run: `${r.channel}/${r.mode}`,
    'sustained changes/s': r.sustainable?.acceptedChangesPerSec ?? '-',
    'deliveries/s': r.sustainable?.deliveriesPerSec ?? '-',
    'p50 ms': r.sustainable?.p50Ms ?? '-',
    'p99 ms': r.sustainable?.p99Ms ?? '-',
    'sat. changes/s': r.saturation?.acceptedChangesPerSec ?? '-',
    'sat. deliveries/s': r.saturation?.deliveriesPerSec ?? '-',
    'drain deliveries/s': r.saturation?.drainDeliveriesPerSec ?? '-',
    'hub cores': r.sustainable?.cpuCores?.hub?.cores ?? '-',
    'receivers cores': r.sustainable?.cpuCores?.receivers ?? '-',
    'load cores': r.sustainable?.cpuCores?.loadGenerator ?? '-',
    'nats-server cores': r.sustainable?.cpuCores?.natsServer ?? '-',
  })),
);
console.log(JSON.stringify({ embedded: result.embedded, nats: result.nats }));
console.log(
  `SQLite commit with fsync: ${commitMsAtStart} ms at start, ${result.settings.commitMs.atEnd} ms at end`,
);
// A --rate run is an experiment at one chosen rate: it does not replace the results.
if (fixedRate === undefined) {
  writeFileSync(new URL('./results/changes.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
}

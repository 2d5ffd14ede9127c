// CI: checks that a NATS server with JetStream answers at the given URL (exit 1 when not), so the
// change-push suite runs over JetStream for real instead of being skipped.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

const servers = process.argv[2] ?? 'nats://127.0.0.1:4222';
try {
  const nc = await connect({ servers, timeout: 3000 });
  const jsm = await jetstreamManager(nc, { timeout: 3000 });
  const info = await jsm.getAccountInfo();
  console.log(`NATS at ${servers}: JetStream on (${info.streams} streams)`);
  await nc.close();
} catch (error) {
  console.error(`NATS at ${servers} with JetStream is not available: ${String(error)}`);
  process.exit(1);
}

// The National Register's demo source in a process of its own (bench/exchange.ts).
import { demoHandlers, demoInstitution, generatePeople, startSourceServer } from '../src/demo/index.ts';
import { newSecret } from '../src/kernel/index.ts';

const token = newSecret();
const server = await startSourceServer({
  token,
  port: 0,
  handlers: demoHandlers(generatePeople(1000)).nr ?? {},
});
console.log(`READY ${JSON.stringify({ url: server.url, token, kbo: demoInstitution('nr').kbo })}`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));

// The Node limit for this shape: Fastify + an undici pool forwarding a body to the source, with
// no authentication, no decision, no routing and no log (bench/exchange.ts, case c).
import Fastify from 'fastify';
import { Pool } from 'undici';

const sourceUrl = process.env.SOURCE_URL!;
const token = process.env.SOURCE_TOKEN!;
const pool = new Pool(sourceUrl, { connections: 128, keepAliveTimeout: 30_000 });
const app = Fastify({ logger: false });

app.post('/proxy/:service', async (request, reply) => {
  const { service } = request.params as { service: string };
  const response = await pool.request({
    path: `/crossroads/v1/${service}`,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(request.body),
  });
  const text = await response.body.text();
  return reply.code(response.statusCode).type('application/json').send(text);
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(`READY ${JSON.stringify({ url: address })}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));

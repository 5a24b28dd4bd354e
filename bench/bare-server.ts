import Fastify from 'fastify';

/**
 * The baseline of the webhook benchmark: bare Fastify 5 on the same Node, parsing the same JSON body and
 * answering 200 at once, with no logging, signature check, database or queue.
 */
const port = Number(process.env.PORT ?? 0);
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post('/zalo/webhook', async () => ({ ok: true }));
await app.listen({ port, host: '127.0.0.1' });
console.log(`bare fastify listening on ${port}`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

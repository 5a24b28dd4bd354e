import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestText, TIMEOUT_ERROR_NAME } from '../../../bot/zalo/json-http.js';

/** requestText (bot/zalo/json-http.ts): the Zalo client's JSON calls, against a real local HTTP server. */
describe('requestText', () => {
  let server: Server;
  let base: string;
  const connections: number[] = [];
  const seen: Array<{ method: string; url: string; token: string | undefined; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', token: req.headers.access_token as string | undefined, body });
        // Never answers: the caller's timeout must end the request.
        if (req.url?.startsWith('/silent')) return;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7', 'x-ratelimit-remain': '0' });
        res.end(JSON.stringify({ error: -32, message: 'Ngoài hạn mức' }));
      });
    });
    server.on('connection', () => connections.push(Date.now()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the method, headers and UTF-8 body, and gives back status, headers and text', async () => {
    const body = JSON.stringify({ text: 'Phản ánh đã được tiếp nhận' });
    const response = await requestText(new URL(`${base}/v3.0/oa/message/cs?x=1`), { method: 'POST', headers: { access_token: 'tok', 'content-type': 'application/json' }, body, timeoutMs: 5_000 });
    expect(seen.at(-1)).toEqual({ method: 'POST', url: '/v3.0/oa/message/cs?x=1', token: 'tok', body });
    expect(response.status).toBe(429);
    expect(response.header('retry-after')).toBe('7');
    expect(response.header('x-ratelimit-remain')).toBe('0');
    expect(response.header('x-absent')).toBeUndefined();
    expect(JSON.parse(response.text)).toEqual({ error: -32, message: 'Ngoài hạn mức' });
  });

  it('keeps the connection for the next call', async () => {
    const before = connections.length;
    for (let i = 0; i < 3; i++) await requestText(new URL(`${base}/v2.0/oa/getoa`), { method: 'GET', headers: {}, timeoutMs: 5_000 });
    expect(connections.length - before).toBeLessThanOrEqual(1);
  });

  it('ends a call that gets no answer in time with a TimeoutError', async () => {
    const error = await requestText(new URL(`${base}/silent`), { method: 'GET', headers: {}, timeoutMs: 50 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe(TIMEOUT_ERROR_NAME);
  });

  it('fails at once when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(requestText(new URL(`http://127.0.0.1:${port}/`), { method: 'GET', headers: {}, timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

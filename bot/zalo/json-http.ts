import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * One HTTP request with a text body and a text answer, over Node's http/https with kept-alive connections: what
 * the Zalo client sends for every JSON call. The global fetch did the same for about three times the CPU (its
 * streams, abort signals and headers objects), ~1 ms of the worker's ~8 ms per bot reply
 * (bench/bot-reply.bench.ts); multipart uploads still go through fetch.
 */

export interface TextResponse {
  status: number;
  /** A response header, by lower-case name. */
  header(name: string): string | undefined;
  text: string;
}

/** The name a timed-out request's error carries, as fetch's AbortSignal.timeout does. */
export const TIMEOUT_ERROR_NAME = 'TimeoutError';

/**
 * An idle connection is closed after this long, well before a server would drop it: a request written to a socket
 * the server has just closed fails (ECONNRESET) and would wait for the outbox's retry. fetch does the same (4 s).
 */
const IDLE_SOCKET_MS = 2_000;
const agents = { http: new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }), https: new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS }) };

export function requestText(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number },
): Promise<TextResponse> {
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise<TextResponse>((resolve, reject) => {
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const req = send(url, { method: init.method, headers, agent: secure ? agents.https : agents.http }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const value = res.headers[name];
            return Array.isArray(value) ? value.join(', ') : value;
          },
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    // The whole exchange, reading the answer included, as with fetch and AbortSignal.timeout.
    const timer = setTimeout(() => {
      const error = new Error(`no answer within ${init.timeoutMs} ms`);
      error.name = TIMEOUT_ERROR_NAME;
      req.destroy(error);
    }, init.timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(init.body);
  });
}

import { request, type IncomingHttpHeaders } from 'node:http';
import { waitFor } from '../helpers/wait-for.js';

/** One Server-Sent Event as a browser's EventSource would dispatch it. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * A minimal EventSource for tests, over a real socket (app.inject buffers the whole response, and a stream
 * never ends): it records events, comment lines and the retry field as they arrive.
 */
export class SseStream {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retry: number | null = null;
  ended = false;
  /** The body of a response that is not a stream (429, a redirect). */
  body = '';
  private buffer = '';

  constructor(
    readonly status: number,
    readonly headers: IncomingHttpHeaders,
    private readonly abort: () => void,
  ) {}

  /** Feeds raw text; complete frames (ending with a blank line) become events or comments. */
  push(chunk: string): void {
    this.body += chunk;
    this.buffer += chunk;
    let end = this.buffer.indexOf('\n\n');
    while (end >= 0) {
      const frame = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.parseFrame(frame);
      end = this.buffer.indexOf('\n\n');
    }
  }

  private parseFrame(frame: string): void {
    let event = 'message';
    const data: string[] = [];
    let hasField = false;
    for (const line of frame.split('\n')) {
      if (line.startsWith(':')) {
        this.comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') {
        data.push(value);
        hasField = true;
      } else if (field === 'retry') this.retry = Number(value);
    }
    if (hasField) this.events.push({ event, data: data.join('\n') });
  }

  /** The parsed `case` events so far (from index `from`). */
  caseEvents(from = 0): Array<Record<string, unknown>> {
    return this.events
      .slice(from)
      .filter((e) => e.event === 'case')
      .map((e) => JSON.parse(e.data) as Record<string, unknown>);
  }

  /** The number of events so far: pass it as `from` to wait only for what arrives afterwards. */
  mark(): number {
    return this.events.length;
  }

  /** Waits (bounded, polling the recorded events) for an event from index `from` that `match` accepts. */
  async next(what: string, match: (e: SseEvent) => boolean, from = 0, timeoutMs = 10_000): Promise<SseEvent> {
    return waitFor(what, () => this.events.slice(from).find(match), { timeoutMs, intervalMs: 10 });
  }

  /** Waits for a `case` event about this case (optionally of this kind) from index `from`; returns its data. */
  async nextCase(caseId: number, kind?: string, from = 0): Promise<Record<string, unknown>> {
    const found = await this.next(
      `a case event for case ${caseId}${kind ? ` (${kind})` : ''}`,
      (e) => {
        if (e.event !== 'case') return false;
        const data = JSON.parse(e.data) as { caseId?: number; kind?: string };
        return data.caseId === caseId && (kind === undefined || data.kind === kind);
      },
      from,
    );
    return JSON.parse(found.data) as Record<string, unknown>;
  }

  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    await waitFor('the stream to end', () => this.ended, { timeoutMs, intervalMs: 10 });
  }

  close(): void {
    this.abort();
  }
}

/** Opens `url` and resolves with the stream once the response headers are in. */
export function openEventStream(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const stream = new SseStream(res.statusCode ?? 0, res.headers, () => req.destroy());
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => stream.push(chunk));
      res.on('end', () => {
        stream.ended = true;
      });
      res.on('close', () => {
        stream.ended = true;
      });
      res.on('error', () => {
        stream.ended = true;
      });
      resolve(stream);
    });
    req.on('error', reject);
    req.end();
  });
}

import { describe, expect, it } from 'vitest';
import { findMultipartFile, readMultipartBoundary } from '../../../bot/sandbox/multipart-file.js';
import { createSandboxStore } from '../../../bot/sandbox/sandbox.routes.js';
import { SandboxStore } from '../../../bot/sandbox/sandbox-store.js';

const LIMITS = { maxUsers: 6, maxMessagesPerUser: 3, maxMediaItems: 2, maxMediaBytes: 100, maxSpentRefreshTokens: 2 };

function createClockedStore() {
  let now = 1_000;
  const store = new SandboxStore(() => now, LIMITS);
  return { store, tick: (ms = 1) => (now += ms) };
}

describe('SandboxStore', () => {
  it('seeds the four demo officials as pinned followers', () => {
    const store = createSandboxStore(() => 0);
    expect(store.listUsers().map((u) => [u.userId, u.kind, u.follower, u.pinned])).toEqual([
      ['sandbox-dieuphoi', 'official', true, true],
      ['sandbox-chuyenvien', 'official', true, true],
      ['sandbox-lanhdao', 'official', true, true],
      ['sandbox-quantri', 'official', true, true],
    ]);
  });

  it('evicts the least recently active citizens beyond maxUsers, never pinned users', () => {
    const { store, tick } = createClockedStore();
    store.createUser({ userId: 'pinned', displayName: 'Cán bộ', pinned: true });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => {
      tick();
      return store.createUser({ userId: id, displayName: id }).userId;
    });
    tick();
    store.recordInteraction('a');
    tick();
    store.createUser({ userId: 'g', displayName: 'g' });
    const remaining = store.listUsers().map((u) => u.userId);
    expect(remaining).toHaveLength(LIMITS.maxUsers);
    expect(remaining).toContain('pinned');
    expect(remaining).toContain('a');
    expect(remaining).not.toContain('b');
    expect(remaining).not.toContain('c');
    expect(ids).toHaveLength(6);
    expect(store.listMessages('b')).toEqual([]);
  });

  it('keeps the last maxMessagesPerUser messages with increasing sequence numbers', () => {
    const { store } = createClockedStore();
    for (const text of ['1', '2', '3', '4']) store.addMessage({ userId: 'u', from: 'user', kind: 'text', text });
    const chat = store.listMessages('u');
    expect(chat.map((m) => (m.kind === 'text' ? m.text : ''))).toEqual(['2', '3', '4']);
    expect(chat.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(store.listMessages('u', 3).map((m) => m.seq)).toEqual([4]);
  });

  it('drops the oldest media beyond the item and byte bounds', () => {
    const { store } = createClockedStore();
    store.addMedia({ id: 'm1', bytes: Buffer.alloc(40), mime: 'image/png' });
    store.addMedia({ id: 'm2', bytes: Buffer.alloc(40), mime: 'image/png' });
    store.addMedia({ id: 'm3', bytes: Buffer.alloc(40), mime: 'image/png' });
    expect(store.findMedia('m1')).toBeUndefined();
    expect(store.findMedia('m3')).toBeDefined();
    store.addMedia({ id: 'm4', bytes: Buffer.alloc(90), mime: 'image/png' });
    expect(store.findMedia('m2')).toBeUndefined();
    expect(store.findMedia('m3')).toBeUndefined();
    expect(store.findMedia('m4')).toBeDefined();
  });

  it('hands out injected faults in order, one per call', () => {
    const { store } = createClockedStore();
    store.injectFault({ code: -32, message: 'a', httpStatus: 200 }, 2);
    store.injectFault({ code: -230, message: 'b', httpStatus: 200 }, 1);
    expect([store.takeFault()?.code, store.takeFault()?.code, store.takeFault()?.code, store.takeFault()]).toEqual([-32, -32, -230, undefined]);
  });

  it('accepts each refresh token once', () => {
    const { store } = createClockedStore();
    expect(store.spendRefreshToken('r1')).toBe(true);
    expect(store.spendRefreshToken('r1')).toBe(false);
    expect(store.spendRefreshToken('r2')).toBe(true);
  });
});

describe('findMultipartFile', () => {
  it('reads the file part with its UTF-8 name and exact bytes, even with CRLF inside the content', () => {
    const content = Buffer.from([0x89, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff]);
    const body = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n'),
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="'),
      Buffer.from('ảnh.png', 'utf8'),
      Buffer.from('"\r\nContent-Type: image/png\r\n\r\n'),
      content,
      Buffer.from('\r\n--XyZ--\r\n'),
    ]);
    const boundary = readMultipartBoundary('multipart/form-data; boundary=XyZ');
    expect(boundary).toBe('XyZ');
    const file = findMultipartFile(body, boundary!);
    expect(file).toMatchObject({ fieldName: 'file', fileName: 'ảnh.png', contentType: 'image/png' });
    expect(file!.bytes.equals(content)).toBe(true);
  });

  it('finds nothing in a body without that part or a header without a boundary', () => {
    expect(findMultipartFile(Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--'), 'b')).toBeUndefined();
    expect(readMultipartBoundary('application/json')).toBeUndefined();
    expect(readMultipartBoundary('multipart/form-data')).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTemplateOverride, listTemplateOverrides, readTemplateOverridesVersion, saveTemplateOverride } from '../../runtime/template-overrides.repo.js';
import {
  checkTemplateSource,
  createDbTemplateOverrideSource,
  createTemplateRenderer,
  describeTemplateProblem,
  sharedTemplateRenderer,
  type TemplateOverrideSource,
} from '../../runtime/templates.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const RECEIVED = { caseCode: 'PA-2026-000123', answerDueDate: '16/03/2026' };
const FILE_TEXT = [
  'Phản ánh của anh/chị đã được tiếp nhận.',
  'Mã phản ánh: PA-2026-000123',
  'Hạn trả lời dự kiến: 16/03/2026',
  'Gõ "tra cứu PA-2026-000123" để theo dõi tình trạng xử lý.',
].join('\n');

/** An override source whose answers a test sets, counting how often it is asked. */
function fakeSource(initial: Record<string, string> = {}) {
  let rows = { ...initial };
  const calls = { version: 0, load: 0 };
  const source: TemplateOverrideSource = {
    version: async () => {
      calls.version += 1;
      return JSON.stringify(rows);
    },
    load: async () => {
      calls.load += 1;
      return { ...rows };
    },
  };
  return { source, calls, set: (next: Record<string, string>) => (rows = { ...next }) };
}

/** Warnings the renderer logs, to check that a refused text is reported, not thrown. */
function recordingLogger() {
  const warnings: Array<Record<string, unknown>> = [];
  return { warnings, logger: { warn: (obj: Record<string, unknown>) => void warnings.push(obj) } as never };
}

describe('checking an edited template before it is used', () => {
  it('accepts the files as they are', () => {
    const renderer = createTemplateRenderer();
    for (const name of renderer.list()) expect(checkTemplateSource(name, renderer.source(name)), name).toBeUndefined();
  });

  it('refuses broken syntax, unknown helpers, partials and an e-mail without its subject line, in Vietnamese', () => {
    const syntax = checkTemplateSource('zalo/case-received', 'Mã: {{caseCode');
    expect(syntax?.code).toBe('syntax');
    expect(describeTemplateProblem(syntax!)).toMatch(/^Mẫu có lỗi cú pháp Handlebars \(.+\)\.$/);

    const helper = checkTemplateSource('zalo/case-received', 'Hạn: {{formatDate answerDueDate}}');
    expect(helper).toEqual({ code: 'unknown_helper', detail: 'formatDate' });
    expect(describeTemplateProblem(helper!)).toBe('Mẫu dùng hàm "formatDate" không có trong hệ thống. Chỉ dùng được: if, unless, each, with, lookup, log, eq, inc.');
    // Inside a block, an else branch and a sub-expression too.
    expect(checkTemplateSource('zalo/x', '{{#if a}}x{{else}}{{upper a}}{{/if}}')).toEqual({ code: 'unknown_helper', detail: 'upper' });
    expect(checkTemplateSource('zalo/x', '{{#if (shout a)}}x{{/if}}')).toEqual({ code: 'unknown_helper', detail: 'shout' });
    expect(checkTemplateSource('zalo/x', '{{#if (eq status "answered")}}{{inc n}}{{/if}}')).toBeUndefined();

    expect(checkTemplateSource('zalo/x', 'Xin chào {{> chu-ky}}')?.code).toBe('partial');
    const subject = checkTemplateSource('email/official-case-assigned', 'Kính gửi {{recipientName}}');
    expect(describeTemplateProblem(subject!)).toBe('Mẫu thư điện tử phải bắt đầu bằng dòng "Subject: …" (tiêu đề thư).');
    expect(checkTemplateSource('email/official-case-assigned', 'Subject: [PAKN] {{caseCode}}\nKính gửi')).toBeUndefined();
  });
});

describe('the renderer with overrides', () => {
  it('renders an override, and the file again once it is removed', () => {
    const renderer = createTemplateRenderer();
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe(FILE_TEXT);
    renderer.setOverrides({ 'zalo/case-received': 'Đã nhận {{caseCode}}, hạn {{answerDueDate}}.' });
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe('Đã nhận PA-2026-000123, hạn 16/03/2026.');
    expect(renderer.source('zalo/case-received')).toBe('Đã nhận {{caseCode}}, hạn {{answerDueDate}}.');
    renderer.setOverrides({});
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe(FILE_TEXT);
  });

  it('never fails a message for a bad override: it is ignored, or the file text goes out instead', () => {
    const { warnings, logger } = recordingLogger();
    const renderer = createTemplateRenderer({ logger });
    renderer.setOverrides({ 'zalo/case-received': 'Mã {{caseCode', 'zalo/case-assigned': '{{#if}}thiếu điều kiện{{/if}}' });
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe(FILE_TEXT);
    expect(warnings).toContainEqual(expect.objectContaining({ template: 'zalo/case-received', problem: 'syntax' }));
    // Parses, but Handlebars refuses it when run: the file's text is sent.
    const assigned = renderer.render('zalo/case-assigned', { caseCode: 'PA-2026-000123', unitName: 'Phường Hoàn Kiếm', answerDueDate: '16/03/2026' });
    expect(assigned).toContain('PA-2026-000123');
    expect(assigned).not.toContain('thiếu điều kiện');
    expect(warnings).toContainEqual(expect.objectContaining({ template: 'zalo/case-assigned' }));
  });

  it('asks its source at most once per max age, reloads only on a new version, and always when forced', async () => {
    const fake = fakeSource();
    let clockMs = 0;
    const renderer = createTemplateRenderer({ overrides: fake.source, maxAgeMs: 5_000, monotonicNow: () => clockMs });
    await renderer.refresh();
    expect(fake.calls).toEqual({ version: 1, load: 1 });

    fake.set({ 'zalo/case-received': 'Mới: {{caseCode}}' });
    clockMs = 4_999;
    await renderer.refresh();
    expect(fake.calls.version).toBe(1);
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe(FILE_TEXT);

    clockMs = 5_000;
    await renderer.refresh();
    expect(fake.calls).toEqual({ version: 2, load: 2 });
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe('Mới: PA-2026-000123');

    clockMs = 10_000;
    await renderer.refresh();
    expect(fake.calls).toEqual({ version: 3, load: 2 });

    fake.set({});
    await renderer.refresh({ force: true });
    expect(fake.calls).toEqual({ version: 4, load: 3 });
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe(FILE_TEXT);
  });

  it('checks once for many messages rendered at the same moment', async () => {
    const fake = fakeSource({ 'zalo/case-received': 'Một lần: {{caseCode}}' });
    const renderer = createTemplateRenderer({ overrides: fake.source, maxAgeMs: 5_000, monotonicNow: () => 0 });
    await Promise.all(Array.from({ length: 20 }, () => renderer.refresh()));
    expect(fake.calls).toEqual({ version: 1, load: 1 });
  });

  it('keeps the texts it has when the database cannot be asked', async () => {
    const fake = fakeSource({ 'zalo/case-received': 'Đã tải: {{caseCode}}' });
    const { warnings, logger } = recordingLogger();
    let clockMs = 0;
    let down = false;
    const source: TemplateOverrideSource = {
      version: () => (down ? Promise.reject(new Error('connection refused')) : fake.source.version()),
      load: () => fake.source.load(),
    };
    const renderer = createTemplateRenderer({ overrides: source, maxAgeMs: 1_000, monotonicNow: () => clockMs, logger });
    await renderer.refresh();
    down = true;
    clockMs = 2_000;
    await expect(renderer.refresh()).resolves.toBeUndefined();
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe('Đã tải: PA-2026-000123');
    expect(warnings).toHaveLength(1);
  });

  it('ignores a stored override of a template file that does not exist', async () => {
    const fake = fakeSource({ 'zalo/khong-co': 'x', 'zalo/case-received': 'Có: {{caseCode}}' });
    const renderer = createTemplateRenderer({ overrides: fake.source });
    await renderer.refresh();
    expect(renderer.has('zalo/khong-co')).toBe(false);
    expect(renderer.render('zalo/case-received', RECEIVED)).toBe('Có: PA-2026-000123');
  });
});

describe('overrides in the database, seen by every process', () => {
  let database: TestDatabase;
  const now = new Date('2026-03-02T02:00:00Z');

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
  });
  afterAll(async () => database?.destroy());

  it('a save or a delete changes the version, whatever the clock says', async () => {
    const db = database.db;
    const empty = await readTemplateOverridesVersion(db);
    await saveTemplateOverride(db, { name: 'zalo/case-received', body: 'Một {{caseCode}}', updatedBy: 1, now });
    const first = await readTemplateOverridesVersion(db);
    expect(first).not.toBe(empty);
    // Same name, same updated_at, new text: still a new version.
    await saveTemplateOverride(db, { name: 'zalo/case-received', body: 'Hai {{caseCode}}', updatedBy: 1, now });
    expect(await readTemplateOverridesVersion(db)).not.toBe(first);
    expect(await listTemplateOverrides(db)).toEqual({ 'zalo/case-received': 'Hai {{caseCode}}' });
    expect(await deleteTemplateOverride(db, 'zalo/case-received')).toBe(true);
    expect(await readTemplateOverridesVersion(db)).toBe(empty);
  });

  it('a renderer of another process picks up an edit and a removal at its next check', async () => {
    const db = database.db;
    // Two processes: each has its own renderer on the same database (no cache, so each check asks).
    const web = createTemplateRenderer({ overrides: createDbTemplateOverrideSource(db), maxAgeMs: 0 });
    const worker = createTemplateRenderer({ overrides: createDbTemplateOverrideSource(db), maxAgeMs: 0 });
    await worker.refresh();
    expect(worker.render('zalo/case-received', RECEIVED)).toBe(FILE_TEXT);

    await saveTemplateOverride(db, { name: 'zalo/case-received', body: 'Sửa ở web: {{caseCode}}', updatedBy: 1, now });
    await web.refresh();
    await worker.refresh();
    expect(worker.render('zalo/case-received', RECEIVED)).toBe('Sửa ở web: PA-2026-000123');

    await deleteTemplateOverride(db, 'zalo/case-received');
    await worker.refresh();
    expect(worker.render('zalo/case-received', RECEIVED)).toBe(FILE_TEXT);
  });

  it('one shared renderer per database in a process', () => {
    expect(sharedTemplateRenderer(database.db)).toBe(sharedTemplateRenderer(database.db));
  });
});

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AnswerTemplateNotFoundError,
  buildAnswerTemplateData,
  DEFAULT_ANSWER_TEMPLATES_DIR,
  listAnswerTemplates,
  renderAnswerTemplate,
} from '../../../workflows/cases/answer-templates.js';

const options = { templatesDir: DEFAULT_ANSWER_TEMPLATES_DIR };
const data = buildAnswerTemplateData(
  { code: 'PA-2026-000042', receivedAt: new Date('2026-03-01T20:00:00Z'), description: ' Đèn đường "số 5" không sáng ' },
  'Sở Xây dựng',
  { plannedDate: '30/04/2026' },
);

describe('answer templates', () => {
  it('uses the text an admin edited in the console, for the draft and the picker title', async () => {
    const overrides = { 'answers/da-khac-phuc': '{{!-- Đã xử lý xong (mẫu của phường) --}}\nPhản ánh {{caseCode}} đã được {{unitName}} xử lý xong.\n' };
    const list = await listAnswerTemplates({ ...options, overrides });
    expect(list.find((t) => t.name === 'da-khac-phuc')?.title).toBe('Đã xử lý xong (mẫu của phường)');
    expect(await renderAnswerTemplate('da-khac-phuc', data, { ...options, overrides })).toBe('Phản ánh PA-2026-000042 đã được Sở Xây dựng xử lý xong.');
    // Other answers keep their files' text; an override cannot add a template that has no file.
    expect(await renderAnswerTemplate('huong-dan-thu-tuc', data, { ...options, overrides })).toBe(await renderAnswerTemplate('huong-dan-thu-tuc', data, options));
    await expect(renderAnswerTemplate('moi-them', data, { ...options, overrides: { 'answers/moi-them': 'x' } })).rejects.toBeInstanceOf(AnswerTemplateNotFoundError);
  });

  it('lists the canned answers with their titles', async () => {
    const list = await listAnswerTemplates(options);
    expect(list.map((t) => t.name)).toEqual([
      'chuyen-co-quan-khac',
      'da-khac-phuc',
      'dang-xu-ly-theo-ke-hoach',
      'huong-dan-thu-tuc',
      'khong-du-can-cu',
    ]);
    expect(list.find((t) => t.name === 'da-khac-phuc')?.title).toBe('Đã khắc phục xong');
  });

  it('fills the case fields; the local date is used and quotes are not HTML-escaped', async () => {
    const text = await renderAnswerTemplate('da-khac-phuc', data, options);
    expect(text.startsWith('Kính gửi Ông/Bà,')).toBe(true);
    expect(text).toContain('Ngày 02/03/2026, Sở Xây dựng nhận được phản ánh, kiến nghị mã số PA-2026-000042');
    expect(text).toContain('"Đèn đường "số 5" không sáng"');
    expect(text).not.toContain('&quot;');
    expect(text).not.toContain('{{');
  });

  it('renders every template with only the standard fields, optional parts left out cleanly', async () => {
    for (const { name } of await listAnswerTemplates(options)) {
      const text = await renderAnswerTemplate(name, buildAnswerTemplateData({ code: 'PA-2026-000001', receivedAt: new Date('2026-03-02T02:00:00Z'), description: 'Ổ gà' }, 'Sở Xây dựng'), options);
      expect(text).toContain('PA-2026-000001');
      expect(text).not.toMatch(/ngày \.| \.|\s{3,}/);
    }
  });

  it('uses optional fields when given', async () => {
    expect(await renderAnswerTemplate('dang-xu-ly-theo-ke-hoach', data, options)).toContain('dự kiến hoàn thành trước ngày 30/04/2026');
  });

  it('refuses unknown names and path tricks, and missing required fields', async () => {
    await expect(renderAnswerTemplate('khong-co', data, options)).rejects.toBeInstanceOf(AnswerTemplateNotFoundError);
    await expect(renderAnswerTemplate('../zalo/x', data, options)).rejects.toBeInstanceOf(AnswerTemplateNotFoundError);
    await expect(renderAnswerTemplate('da-khac-phuc', { ...data, unitName: '' }, options)).rejects.toThrow();
  });

  it('reads the directory it is given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'answers-'));
    await writeFile(join(dir, 'thu.hbs'), '{{!-- Thử --}}\n{{caseCode}} – {{unitName}}\n');
    expect(await listAnswerTemplates({ templatesDir: dir })).toEqual([{ name: 'thu', title: 'Thử' }]);
    expect(await renderAnswerTemplate('thu', data, { templatesDir: dir })).toBe('PA-2026-000042 – Sở Xây dựng');
  });
});

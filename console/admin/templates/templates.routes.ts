import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../../runtime/app.js';
import { deleteTemplateOverride, listTemplateOverrides, saveTemplateOverride } from '../../../runtime/template-overrides.repo.js';
import { checkTemplateSource, createTemplateRenderer, describeTemplateProblem, sharedTemplateRenderer, type TemplateRenderer } from '../../../runtime/templates.js';
import { requireOfficial, setFlash } from '../../page-renderer.js';
import { describeFormError } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { buildSampleData } from './template-sample-data.js';

export const TEMPLATE_PREVIEW_SCRIPT_URL = '/console/assets/template-preview.js';
const MAX_TEMPLATE_LENGTH = 20_000;

const TEMPLATE_FOLDER_LABELS: Record<string, string> = {
  zalo: 'Tin nhắn Zalo',
  email: 'Thư điện tử',
  answers: 'Mẫu câu trả lời',
};

const ZTemplateName = z.string({ error: 'Vui lòng chọn mẫu.' }).trim().min(1, { error: 'Vui lòng chọn mẫu.' }).max(200, { error: 'Tên mẫu không hợp lệ.' });
const ZTemplateBody = z
  .string({ error: 'Vui lòng nhập nội dung mẫu.' })
  .max(MAX_TEMPLATE_LENGTH, { error: `Nội dung mẫu quá dài (tối đa ${MAX_TEMPLATE_LENGTH.toLocaleString('vi-VN')} ký tự).` })
  .refine((b) => b.trim() !== '', { error: 'Vui lòng nhập nội dung mẫu.' });
const SAMPLE_MESSAGE = 'Dữ liệu mẫu phải là một đối tượng JSON hợp lệ, ví dụ {"caseCode": "PA-2026-000123"}.';
const ZSampleJson = z
  .string()
  .max(MAX_TEMPLATE_LENGTH, { error: SAMPLE_MESSAGE })
  .transform((text, ctx) => {
    try {
      const parsed: unknown = JSON.parse(text);
      const record = z.record(z.string(), z.unknown()).safeParse(parsed);
      if (record.success) return record.data;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: SAMPLE_MESSAGE });
    return z.NEVER;
  });

export const ZTemplateSaveForm = z.object({ name: ZTemplateName, body: ZTemplateBody });
export const ZTemplateResetForm = z.object({ name: ZTemplateName });
export const ZTemplatePreviewForm = z.object({
  name: ZTemplateName.optional(),
  body: ZTemplateBody,
  sample: z.preprocess((v) => (v === undefined || v === '' ? undefined : v), ZSampleJson.optional()),
});
const ZEditQuery = z.object({ name: ZTemplateName });

export type PreviewResult = { ok: true; text: string } | { ok: false; error: string };

/** Compiles and runs the text on the data; a syntax error becomes a message, never a 500. */
export function previewTemplate(renderer: TemplateRenderer, body: string, data: Record<string, unknown>): PreviewResult {
  try {
    return { ok: true, text: renderer.preview(body, data) };
  } catch (err) {
    const detail = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return { ok: false, error: `Mẫu có lỗi cú pháp Handlebars, chưa thể hiển thị (${detail}).` };
  }
}

function wantsJson(req: FastifyRequest): boolean {
  return String(req.headers.accept ?? '').includes('application/json');
}

export async function registerTemplateAdminRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;
  /** The template files; an override may only replace one of these, so no name reaches the file system unchecked. */
  const fileNames = () => new Set(createTemplateRenderer().list());

  /**
   * The renderer that sends (bot, notifications, e-mail) reloads at once in this process; other processes (a
   * separate worker) see the change within TEMPLATE_OVERRIDES_MAX_AGE_MS, when they next check before rendering.
   */
  async function applyOverridesNow(): Promise<void> {
    await sharedTemplateRenderer(db, deps.logger).refresh({ force: true });
  }

  async function loadRenderer(): Promise<{ renderer: TemplateRenderer; overrides: Record<string, string> }> {
    const renderer = createTemplateRenderer();
    const overrides = await listTemplateOverrides(db);
    const known = new Set(renderer.list());
    renderer.setOverrides(Object.fromEntries(Object.entries(overrides).filter(([name]) => known.has(name))));
    return { renderer, overrides };
  }

  scope.get('/templates', async (req, reply) => {
    const { renderer, overrides } = await loadRenderer();
    const groups = new Map<string, Array<{ name: string; url: string; overridden: boolean }>>();
    for (const name of renderer.list()) {
      const folder = name.includes('/') ? name.slice(0, name.indexOf('/')) : '';
      const list = groups.get(folder) ?? [];
      list.push({ name, url: `/console/admin/templates/edit?name=${encodeURIComponent(name)}`, overridden: name in overrides });
      groups.set(folder, list);
    }
    return renderAdminPage(req, reply, 'admin/templates.hbs', 'templates', 'Mẫu tin nhắn', {
      groups: [...groups.entries()].map(([folder, templates]) => ({ label: TEMPLATE_FOLDER_LABELS[folder] ?? (folder || 'Khác'), templates })),
    });
  });

  interface EditState extends AdminPageState {
    body?: string;
    sample?: string;
    preview?: PreviewResult;
  }

  async function renderEdit(req: FastifyRequest, reply: FastifyReply, name: string, state: EditState = {}) {
    const { renderer, overrides } = await loadRenderer();
    if (!fileNames().has(name)) {
      return renderAdminPage(req, reply, 'admin/templates.hbs', 'templates', 'Mẫu tin nhắn', { groups: [] }, { status: 404, error: 'Không tìm thấy mẫu.' });
    }
    const body = state.body ?? renderer.source(name);
    const sampleText = state.sample ?? JSON.stringify(buildSampleData(body), null, 2);
    let preview = state.preview;
    if (!preview) {
      const sample = ZSampleJson.safeParse(sampleText);
      preview = sample.success ? previewTemplate(renderer, body, sample.data) : { ok: false, error: SAMPLE_MESSAGE };
    }
    return renderAdminPage(
      req,
      reply,
      'admin/template-edit.hbs',
      'templates',
      `Mẫu ${name}`,
      { name, body, sample: sampleText, overridden: name in overrides, preview, scripts: [TEMPLATE_PREVIEW_SCRIPT_URL] },
      state,
    );
  }

  scope.get('/templates/edit', async (req, reply) => {
    const query = ZEditQuery.safeParse(req.query ?? {});
    if (!query.success) return reply.redirect('/console/admin/templates', 303);
    return renderEdit(req, reply, query.data.name);
  });

  scope.post('/templates/save', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const name = typeof body.name === 'string' ? body.name : '';
    const form = ZTemplateSaveForm.safeParse(body);
    if (!form.success) {
      if (!fileNames().has(name)) return reply.redirect('/console/admin/templates', 303);
      return renderEdit(req, reply, name, { status: 400, error: describeFormError(form.error), body: typeof body.body === 'string' ? body.body : '' });
    }
    if (!fileNames().has(form.data.name)) return renderEdit(req, reply, form.data.name);
    // Refused here, never at sending time: what the renderer could not run, then a run on sample data.
    const problem = checkTemplateSource(form.data.name, form.data.body);
    const { renderer } = await loadRenderer();
    const check: PreviewResult = problem
      ? { ok: false, error: describeTemplateProblem(problem) }
      : previewTemplate(renderer, form.data.body, buildSampleData(form.data.body));
    if (!check.ok) return renderEdit(req, reply, form.data.name, { status: 400, error: check.error, body: form.data.body, preview: check });
    await saveTemplateOverride(db, { name: form.data.name, body: form.data.body, updatedBy: requireOfficial(req).id, now: deps.clock.now() });
    await applyOverridesNow();
    req.log.info({ template: form.data.name }, 'admin saved template override');
    setFlash(req, 'success', 'Đã lưu nội dung mẫu.');
    return reply.redirect(`/console/admin/templates/edit?name=${encodeURIComponent(form.data.name)}`, 303);
  });

  scope.post('/templates/reset', async (req, reply) => {
    const form = ZTemplateResetForm.safeParse(req.body ?? {});
    if (!form.success || !fileNames().has(form.data.name)) return reply.redirect('/console/admin/templates', 303);
    await deleteTemplateOverride(db, form.data.name);
    await applyOverridesNow();
    req.log.info({ template: form.data.name }, 'admin reset template override');
    setFlash(req, 'success', 'Đã khôi phục nội dung gốc của mẫu.');
    return reply.redirect(`/console/admin/templates/edit?name=${encodeURIComponent(form.data.name)}`, 303);
  });

  /**
   * The live preview: JSON for the page's script (shown with textContent, so nothing in it is markup), or the
   * edit page again for a browser without scripts. Nothing is stored.
   */
  scope.post('/templates/preview', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = ZTemplatePreviewForm.safeParse(body);
    const json = wantsJson(req);
    let result: PreviewResult;
    if (!form.success) {
      result = { ok: false, error: describeFormError(form.error) };
    } else {
      const problem = checkTemplateSource(form.data.name ?? '', form.data.body);
      const { renderer } = await loadRenderer();
      result = problem ? { ok: false, error: describeTemplateProblem(problem) } : previewTemplate(renderer, form.data.body, form.data.sample ?? buildSampleData(form.data.body));
    }
    if (json) return reply.code(result.ok ? 200 : 400).header('cache-control', 'no-store').send(result);
    const name = form.success ? form.data.name : typeof body.name === 'string' ? body.name : undefined;
    if (!name || !fileNames().has(name)) return reply.redirect('/console/admin/templates', 303);
    return renderEdit(req, reply, name, {
      status: result.ok ? 200 : 400,
      body: typeof body.body === 'string' ? body.body : '',
      ...(typeof body.sample === 'string' ? { sample: body.sample } : {}),
      preview: result,
    });
  });
}

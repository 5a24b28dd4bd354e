import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../../runtime/app.js';
import type { Tx } from '../../../runtime/db.js';
import { loadWorkingCalendar } from '../../../workflows/calendar/calendar.repo.js';
import { localDay } from '../../../workflows/calendar/working-calendar.js';
import { findRegimeRuleProblem, regimeRuleProblemMessage, resyncRegimeObligations, type RegimeResync } from '../../../workflows/reports/regime-changes.js';
import { findCurrentPeriod } from '../../../workflows/reports/report-periods.js';
import { loadReportingUnits } from '../../../workflows/reports/report.repo.js';
import { parseRegimeRow, RegimeRuleError, type ReportingRegime } from '../../../workflows/reports/reporting-regime.js';
import { setFlash } from '../../page-renderer.js';
import { loadReferenceData, type ReferenceData } from '../../reference-data.repo.js';
import { describeCutoffRule, describeDatedPeriod, describeDeadlineRule, describeFrequency, describeObligedUnits } from '../../reports/report-labels.js';
import { UNIT_KIND_LABELS } from '../units/units.routes.js';
import { ZRowIdParams } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { describeRegimeForm, draftFromBody, draftFromRow, NEW_REGIME_DRAFT, parseRegimeForm, ZRegimeCode, type RegimeDraft } from './regime-form.js';
import {
  countOwedByRegime,
  findRegimeRowById,
  insertRegime,
  isRegimeCodeTaken,
  listRegimesForAdmin,
  setRegimeActive,
  updateRegime,
  type AdminRegimeRow,
  type RegimeValues,
} from './reporting-regimes.repo.js';

const BASE = '/console/admin/reporting';
const NOT_FOUND = 'Không tìm thấy chế độ báo cáo.';
const EDITED_MEANWHILE =
  'Chế độ báo cáo này vừa được người khác sửa trong lúc anh/chị chỉnh nên chưa được lưu. Nội dung dưới đây là bản anh/chị vừa nhập: mở lại trang để xem bản mới nhất, hoặc bấm Lưu lần nữa để ghi đè.';
/** The `version` field of the edit form: the regime's version when the form was loaded. */
const ZEditedVersion = z.coerce.number().int().positive();

/** What a save transaction ends with: the stored row, or why it was refused (nothing written). */
type SaveOutcome = { ok: true; row: AdminRegimeRow; resync: RegimeResync } | { ok: false; status: number; error: string };

const kindLabel = (kind: string) => (UNIT_KIND_LABELS[kind as keyof typeof UNIT_KIND_LABELS] ?? kind).toLowerCase();

/** A row whose JSON an operator broke by hand is listed with the reason instead of taking the page down. */
function tryParse(row: AdminRegimeRow): { regime: ReportingRegime; broken: null } | { regime: null; broken: string } {
  try {
    return { regime: parseRegimeRow(row), broken: null };
  } catch (err) {
    if (err instanceof RegimeRuleError) return { regime: null, broken: 'Quy tắc chốt số liệu hoặc hạn gửi trong cơ sở dữ liệu không đọc được; vui lòng mở và lưu lại.' };
    throw err;
  }
}

function describeResync(r: RegimeResync): string {
  const parts = [
    r.created > 0 ? `tạo mới ${r.created}` : null,
    r.updated > 0 ? `cập nhật hạn ${r.updated}` : null,
    r.removed > 0 ? `bỏ ${r.removed} không còn phải nộp` : null,
  ].filter((p): p is string => p !== null);
  return parts.length === 0 ? 'Danh sách báo cáo phải nộp không thay đổi.' : `Báo cáo phải nộp của kỳ hiện tại và kỳ tới: ${parts.join(', ')}.`;
}

/**
 * Admin → Chế độ báo cáo: reporting regimes as data (DOMAIN.md §4.4). Every save is checked by the workflows'
 * own schemas and rules, and brings the generated obligations in line in the same transaction.
 */
export async function registerReportingRegimeAdminRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  async function renderList(req: FastifyRequest, reply: FastifyReply, state: AdminPageState = {}) {
    const [ref, rows, calendar] = await Promise.all([loadReferenceData(db), listRegimesForAdmin(db), loadWorkingCalendar(db)]);
    const owed = await countOwedByRegime(
      db,
      rows.map((r) => r.id),
    );
    const now = deps.clock.now();
    return renderAdminPage(
      req,
      reply,
      'admin/reporting.hbs',
      'reporting',
      'Chế độ báo cáo',
      {
        regimes: rows.map((row) => {
          const parsed = tryParse(row);
          const regime = parsed.regime;
          const found = regime && regime.active && regime.frequency !== 'ad_hoc' ? findCurrentPeriod(regime, calendar, now) : undefined;
          return {
            id: row.id,
            code: row.code,
            name: row.name,
            active: row.active,
            broken: parsed.broken,
            frequencyLabel: describeFrequency(row.frequency),
            deadlineLabel: regime ? describeDeadlineRule(regime.deadlineRule) : null,
            obligedLabel: describeObligedUnits(row, kindLabel, (id) => ref.unitName(id)),
            receivingUnitName: ref.unitName(row.receivingUnitId),
            selfSubmit: row.selfSubmit,
            currentPeriod: found ? describeDatedPeriod(found.current) : null,
            owedCount: owed.get(row.id) ?? 0,
          };
        }),
      },
      state,
    );
  }

  interface FormPage {
    /** null: the "new regime" page. */
    row: AdminRegimeRow | null;
    draft: RegimeDraft;
  }

  async function renderForm(req: FastifyRequest, reply: FastifyReply, page: FormPage, state: AdminPageState = {}) {
    const [ref, calendar] = await Promise.all([loadReferenceData(db), loadWorkingCalendar(db)]);
    const parsed = page.row ? tryParse(page.row) : null;
    const regime = parsed?.regime ?? null;
    const now = deps.clock.now();
    const found = regime && regime.frequency !== 'ad_hoc' ? findCurrentPeriod(regime, calendar, now) : undefined;
    return renderAdminPage(
      req,
      reply,
      'admin/reporting-edit.hbs',
      'reporting',
      page.row ? `Chế độ báo cáo "${page.row.name}"` : 'Thêm chế độ báo cáo',
      {
        isNew: page.row === null,
        regimeId: page.row?.id ?? null,
        version: page.row?.version ?? null,
        active: page.row?.active ?? true,
        broken: parsed?.broken ?? null,
        action: page.row ? `${BASE}/${page.row.id}` : BASE,
        form: describeRegimeForm(page.draft, ref.units),
        adHoc: regime?.frequency === 'ad_hoc',
        cutoffLabel: regime ? describeCutoffRule(regime.cutoffRule, regime.frequency) : null,
        periods: found ? [{ label: 'Kỳ hiện tại', text: describeDatedPeriod(found.current) }, ...(found.next ? [{ label: 'Kỳ tiếp theo', text: describeDatedPeriod(found.next) }] : [])] : [],
      },
      state,
    );
  }

  /**
   * What the schemas cannot see: the units must exist and be active, and the rules must work together
   * (findRegimeRuleProblem). Returns the Vietnamese message, or null when the values may be stored.
   */
  async function checkValues(q: Tx, ref: ReferenceData, values: RegimeValues): Promise<string | null> {
    const activeUnits = new Set(ref.units.filter((u) => u.active).map((u) => u.id));
    if (!activeUnits.has(values.receivingUnitId)) return 'Đơn vị nhận báo cáo không tồn tại hoặc đã ngừng hoạt động.';
    if (values.obligedUnitIds.some((id) => !activeUnits.has(id))) return 'Một đơn vị phải nộp không tồn tại hoặc đã ngừng hoạt động.';
    const rules = parseRegimeRow({ id: 0, code: 'kiem-tra', active: true, version: 1, ...values });
    const problem = findRegimeRuleProblem(rules, await loadReportingUnits(q), await loadWorkingCalendar(q), Number(localDay(deps.clock.now()).slice(0, 4)));
    return problem ? regimeRuleProblemMessage(problem) : null;
  }

  async function loadRow(req: FastifyRequest): Promise<AdminRegimeRow | undefined> {
    const params = ZRowIdParams.safeParse(req.params);
    return params.success ? findRegimeRowById(db, params.data.id) : undefined;
  }

  scope.get('/reporting', async (req, reply) => renderList(req, reply));

  scope.get('/reporting/new', async (req, reply) => renderForm(req, reply, { row: null, draft: NEW_REGIME_DRAFT }));

  scope.post('/reporting', async (req, reply) => {
    const draft = draftFromBody(req.body);
    const refuse = (status: number, error: string) => renderForm(req, reply, { row: null, draft }, { status, error });
    const code = ZRegimeCode.safeParse((req.body as Record<string, unknown> | undefined)?.code);
    const parsed = parseRegimeForm(req.body);
    if (!code.success || !parsed.ok) return refuse(400, [code.success ? null : code.error.issues[0]?.message, parsed.ok ? null : parsed.error].filter(Boolean).join(' '));
    const now = deps.clock.now();
    const ref = await loadReferenceData(db);
    const outcome = await db.transaction(async (tx): Promise<SaveOutcome> => {
      const problem = await checkValues(tx, ref, parsed.values);
      if (problem) return { ok: false, status: 400, error: problem };
      if (await isRegimeCodeTaken(tx, code.data)) return { ok: false, status: 409, error: `Mã "${code.data}" đã được dùng cho một chế độ báo cáo khác.` };
      const row = await insertRegime(tx, code.data, parsed.values);
      if (!row) return { ok: false, status: 409, error: `Mã "${code.data}" đã được dùng cho một chế độ báo cáo khác.` };
      const resync = await resyncRegimeObligations(tx, { before: null, after: parseRegimeRow(row) }, now);
      return { ok: true, row, resync };
    });
    if (!outcome.ok) return refuse(outcome.status, outcome.error);
    req.log.info({ regimeId: outcome.row.id, code: outcome.row.code, ...outcome.resync }, 'admin created reporting regime');
    setFlash(req, 'success', `Đã thêm chế độ báo cáo "${outcome.row.name}". ${describeResync(outcome.resync)}`);
    return reply.redirect(`${BASE}/${outcome.row.id}`, 303);
  });

  scope.get('/reporting/:id', async (req, reply) => {
    const row = await loadRow(req);
    if (!row) return renderList(req, reply, { status: 404, error: NOT_FOUND });
    return renderForm(req, reply, { row, draft: draftFromRow(row) });
  });

  scope.post('/reporting/:id', async (req, reply) => {
    const row = await loadRow(req);
    if (!row) return renderList(req, reply, { status: 404, error: NOT_FOUND });
    // The code is shown, not posted back: it never changes.
    const draft = { ...draftFromBody(req.body), code: row.code };
    const refuse = (status: number, error: string) => renderForm(req, reply, { row, draft }, { status, error });
    const parsed = parseRegimeForm(req.body);
    if (!parsed.ok) return refuse(400, parsed.error);
    // The version the form was loaded at; a form without one counts as made on an unknown, older version.
    const editedVersion = ZEditedVersion.safeParse((req.body as Record<string, unknown> | undefined)?.version).data ?? 0;
    const now = deps.clock.now();
    const ref = await loadReferenceData(db);
    const outcome = await db.transaction(async (tx): Promise<SaveOutcome> => {
      const problem = await checkValues(tx, ref, parsed.values);
      if (problem) return { ok: false, status: 400, error: problem };
      const locked = await findRegimeRowById(tx, row.id, { lock: true });
      if (!locked) return { ok: false, status: 404, error: NOT_FOUND };
      if (editedVersion !== locked.version) return { ok: false, status: 409, error: EDITED_MEANWHILE };
      const updated = await updateRegime(tx, row.id, editedVersion, parsed.values);
      if (!updated) return { ok: false, status: 409, error: EDITED_MEANWHILE };
      const before = tryParse(locked).regime;
      // A row that could not be read had no calendar anyone followed: treat it like a new regime.
      const resync = await resyncRegimeObligations(tx, { before, after: parseRegimeRow(updated) }, now);
      return { ok: true, row: updated, resync };
    });
    if (!outcome.ok) return refuse(outcome.status, outcome.error);
    req.log.info({ regimeId: row.id, ...outcome.resync }, 'admin updated reporting regime');
    setFlash(req, 'success', `Đã lưu chế độ báo cáo "${outcome.row.name}". ${describeResync(outcome.resync)}`);
    return reply.redirect(`${BASE}/${row.id}`, 303);
  });

  async function changeActive(req: FastifyRequest, reply: FastifyReply, active: boolean) {
    const row = await loadRow(req);
    if (!row) return renderList(req, reply, { status: 404, error: NOT_FOUND });
    if (active && tryParse(row).broken) {
      return renderForm(req, reply, { row, draft: draftFromRow(row) }, { status: 422, error: 'Quy tắc của chế độ báo cáo này không đọc được. Vui lòng sửa và lưu trước khi áp dụng lại.' });
    }
    const now = deps.clock.now();
    const outcome = await db.transaction(async (tx) => {
      const updated = await setRegimeActive(tx, row.id, active);
      if (!updated) return null;
      // Deactivating only hides: every query joins on regimes.active, and the rows wait for a reactivation.
      if (!active) return { row: updated, resync: { created: 0, updated: 0, removed: 0 } };
      const regime = parseRegimeRow(updated);
      return { row: updated, resync: await resyncRegimeObligations(tx, { before: regime, after: regime }, now) };
    });
    if (!outcome) return renderList(req, reply, { status: 404, error: NOT_FOUND });
    req.log.info({ regimeId: row.id, active }, active ? 'admin reactivated reporting regime' : 'admin deactivated reporting regime');
    setFlash(
      req,
      'success',
      active
        ? `Đã áp dụng lại chế độ báo cáo "${row.name}". ${describeResync(outcome.resync)}`
        : `Đã ngừng áp dụng chế độ báo cáo "${row.name}": không còn nhắc nộp, không còn tạo kỳ mới. Báo cáo đã ghi nhận vẫn được giữ.`,
    );
    return reply.redirect(BASE, 303);
  }

  scope.post('/reporting/:id/deactivate', async (req, reply) => changeActive(req, reply, false));
  scope.post('/reporting/:id/activate', async (req, reply) => changeActive(req, reply, true));
}

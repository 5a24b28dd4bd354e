import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../runtime/app.js';
import { loadWorkingCalendar } from '../../workflows/calendar/calendar.repo.js';
import { formatVnDate, formatVnDateTime, type WorkingCalendar } from '../../workflows/calendar/working-calendar.js';
import { adHocRequestErrorMessage, reportErrorMessage, type AdHocRequestErrorCode, type ReportErrorCode } from '../../workflows/reports/report-errors.js';
import {
  AD_HOC_NOTE_MAX,
  AD_HOC_PERIOD_KEY,
  adHocDueAt,
  labelPeriod,
  listSubmissionStatus,
  listUnitObligations,
  markReturned,
  markSubmitted,
  requestAdHocReport,
  type ObligationView,
} from '../../workflows/reports/report-obligations.js';
import { findCurrentPeriod, findLatestDuePeriod } from '../../workflows/reports/report-periods.js';
import { mayMarkOwnReport, mayRequestAdHocReport, mayReviewSubmissions, REPORT_PERMISSION_MESSAGES } from '../../workflows/reports/report-permissions.js';
import { loadActiveRegimes, loadReportingUnits } from '../../workflows/reports/report.repo.js';
import { isReportOwed, isUnitObliged, type ReportingRegime } from '../../workflows/reports/reporting-regime.js';
import { slaBadge } from '../../workflows/sla/sla-rules.js';
import { blank, describeFormError, formId, formList, formText, optionalFormText } from '../admin/admin-forms.js';
import { renderErrorPage, renderPage, requireOfficial, setFlash, toActor } from '../page-renderer.js';
import { describeDeadlineRule, describeFrequency, describeWindow } from './report-labels.js';
import { listRegimePeriodKeys, loadOfficialNamesByLogin } from './reports.repo.js';
import { REPORT_ERROR_STATUS } from '../api/report-submissions.routes.js';

const BASE = '/console/reports';


const REGIME_NOT_FOUND = 'Không tìm thấy chế độ báo cáo, hoặc chế độ báo cáo đã ngừng áp dụng.';
const PERIOD_MESSAGE = 'Kỳ báo cáo không hợp lệ.';

const ZPeriodKey = z.string({ error: PERIOD_MESSAGE }).trim().min(1, { error: PERIOD_MESSAGE }).max(40, { error: PERIOD_MESSAGE });

export const ZOwnSubmissionForm = z.object({ regimeId: formId('Vui lòng chọn báo cáo.'), periodKey: ZPeriodKey });

/** datetime-local gives "2026-03-02T09:00" in the official's (Vietnamese) time. */
const ZLocalDateTime = z.preprocess(
  blank,
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, { error: 'Thời điểm nhận báo cáo không hợp lệ (ngày giờ dạng 2026-03-02T09:00).' })
    .transform((v, ctx) => {
      const at = new Date(`${v}:00+07:00`);
      if (Number.isNaN(at.getTime())) {
        ctx.addIssue({ code: 'custom', message: 'Thời điểm nhận báo cáo không hợp lệ.' });
        return z.NEVER;
      }
      return at;
    })
    .optional(),
);

export const ZRecordSubmissionForm = z.object({
  unitId: formId('Đơn vị không hợp lệ.'),
  periodKey: ZPeriodKey,
  externalRef: optionalFormText({ max: 200, tooLong: 'Số, ký hiệu văn bản quá dài (tối đa 200 ký tự).' }),
  submittedAt: ZLocalDateTime,
});

export const ZReturnForm = z.object({
  unitId: formId('Đơn vị không hợp lệ.'),
  periodKey: ZPeriodKey,
  reason: formText({ required: 'Vui lòng ghi lý do trả lại báo cáo.', max: 1000, tooLong: 'Lý do trả lại quá dài (tối đa 1.000 ký tự).' }),
});

/** The request form's refusals, by the workflow's codes. */
const AD_HOC_ERROR_STATUS: Record<AdHocRequestErrorCode, number> = {
  unknown_regime: 404,
  not_ad_hoc: 409,
  invalid_period_key: 400,
  period_exists: 409,
  invalid_window: 400,
  due_passed: 400,
  note_too_long: 400,
  no_units: 400,
  not_obliged: 400,
  nobody_obliged: 409,
};

/** <input type="date"> gives "2026-03-02". */
function formLocalDay(required: string, invalid: string) {
  return z.preprocess(
    blank,
    z
      .string({ error: required })
      .regex(/^\d{4}-\d{2}-\d{2}$/, { error: invalid })
      .refine((v) => {
        const d = new Date(`${v}T00:00:00Z`);
        return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
      }, { error: invalid }),
  );
}

export const ZAdHocRequestForm = z
  .object({
    periodKey: z.preprocess(
      (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
      z
        .string({ error: 'Vui lòng nhập mã đợt báo cáo.' })
        .min(1, { error: 'Vui lòng nhập mã đợt báo cáo.', abort: true })
        .regex(AD_HOC_PERIOD_KEY, { error: adHocRequestErrorMessage('invalid_period_key') }),
    ),
    start: formLocalDay('Vui lòng chọn ngày bắt đầu của thời gian số liệu.', 'Ngày bắt đầu của thời gian số liệu không hợp lệ.'),
    end: formLocalDay('Vui lòng chọn ngày kết thúc của thời gian số liệu.', 'Ngày kết thúc của thời gian số liệu không hợp lệ.'),
    dueDay: formLocalDay('Vui lòng chọn hạn gửi báo cáo.', 'Hạn gửi báo cáo không hợp lệ.'),
    note: formText({ required: 'Vui lòng ghi nội dung yêu cầu báo cáo.', max: AD_HOC_NOTE_MAX, tooLong: adHocRequestErrorMessage('note_too_long') }),
    recipients: z.enum(['all', 'chosen'], { error: 'Vui lòng chọn gửi yêu cầu cho mọi đơn vị phải nộp hay cho các đơn vị được chọn.' }),
    unitIds: formList(formId('Đơn vị không hợp lệ.')),
  })
  .superRefine((f, ctx) => {
    if (f.recipients === 'chosen' && f.unitIds.length === 0) ctx.addIssue({ code: 'custom', path: ['unitIds'], message: adHocRequestErrorMessage('no_units') });
    // Ticked units with "every unit" chosen: which one was meant is not ours to guess when the other is 126 wards.
    if (f.recipients === 'all' && f.unitIds.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['recipients'],
        message: 'Anh/chị đã đánh dấu một số đơn vị nhưng lại chọn gửi cho mọi đơn vị phải nộp. Vui lòng chọn "Các đơn vị được chọn" hoặc bỏ đánh dấu các đơn vị.',
      });
    }
  });

/** What the request form was sent with, as typed, to show again with the reason it was refused. */
interface PostedRequest {
  periodKey: string;
  start: string;
  end: string;
  dueDay: string;
  note: string;
  recipients: string;
  unitIds: string[];
}

function readPostedRequest(body: Record<string, unknown>): PostedRequest {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const raw = body.unitIds;
  return {
    periodKey: str(body.periodKey),
    start: str(body.start),
    end: str(body.end),
    dueDay: str(body.dueDay),
    note: str(body.note),
    recipients: str(body.recipients),
    unitIds: (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String),
  };
}

const ZRegimeParams = z.object({ id: z.coerce.number().int().positive() });
const ZRegimeQuery = z.object({ period: ZPeriodKey.optional().catch(undefined) });

interface PageState {
  status?: number;
  error?: string | null;
  /** The ad hoc request form as it was sent (regime page). */
  request?: PostedRequest;
}

/** "lanhdao" → the official's name; "api:he-thong" → the reporting system. */
function describeRecorder(by: string | null, names: Map<string, string>): string | null {
  if (by === null) return null;
  if (by.startsWith('api:')) return `Hệ thống thông tin báo cáo (${by.slice(4)})`;
  return names.get(by) ?? by;
}

/**
 * The period the receiving unit most likely wants: the latest whose deadline has come (whose missing reports
 * can be chased — as the Zalo assistant does), else the current one, else the latest with any rows.
 */
function pickDefaultPeriod(regime: ReportingRegime, calendar: WorkingCalendar, now: Date, keys: readonly string[]): string | undefined {
  const candidates = regime.frequency === 'ad_hoc' ? [] : [findLatestDuePeriod(regime, calendar, now)?.key, findCurrentPeriod(regime, calendar, now)?.current.key];
  return candidates.find((k): k is string => k !== undefined && keys.includes(k)) ?? keys[0] ?? candidates.find((k): k is string => k !== undefined);
}

function countStanding(rows: readonly ObligationView[]) {
  const submitted = rows.filter((r) => !isReportOwed(r.status));
  return {
    total: rows.length,
    submitted: submitted.length,
    late: submitted.filter((r) => r.status === 'nop_muon').length,
    returned: rows.filter((r) => r.status === 'tra_lai').length,
    missing: rows.filter((r) => isReportOwed(r.status)).length,
  };
}

/**
 * Báo cáo: the reports the official's unit owes (and, for its handlers and leaders, "đã nộp"), and for the
 * receiving unit's leaders and the admins, who has and has not submitted, with "ghi nhận đã nộp" and
 * "trả lại", and under an ad hoc regime "yêu cầu báo cáo đột xuất". Every change goes through markSubmitted /
 * markReturned (the functions behind POST /api/v1/report-submissions and the Zalo assistant) and
 * requestAdHocReport.
 */
export async function registerReportRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  async function renderOverview(req: FastifyRequest, reply: FastifyReply, state: PageState = {}) {
    const official = requireOfficial(req);
    const actor = toActor(official);
    const now = deps.clock.now();
    const [calendar, { regimes }, mine] = await Promise.all([loadWorkingCalendar(db), loadActiveRegimes(db), listUnitObligations(db, official.unitId, now)]);
    const byId = new Map(regimes.map((r) => [r.id, r]));
    const names = await loadOfficialNamesByLogin(
      db,
      mine.flatMap((o) => (o.submittedBy ? [o.submittedBy] : [])),
    );
    const marks = mayMarkOwnReport(actor);

    const reviewable = [];
    for (const regime of regimes.filter((r) => mayReviewSubmissions(actor, r))) {
      const keys = (await listRegimePeriodKeys(db, regime.id)).map((p) => p.periodKey);
      const key = pickDefaultPeriod(regime, calendar, now, keys);
      const rows = key ? await listSubmissionStatus(db, regime.id, key) : [];
      reviewable.push({
        id: regime.id,
        name: regime.name,
        code: regime.code,
        frequencyLabel: describeFrequency(regime.frequency),
        periodLabel: key ? labelPeriod(regime, key) : null,
        counts: countStanding(rows),
        mayRequest: regime.frequency === 'ad_hoc' && mayRequestAdHocReport(actor, regime),
      });
    }

    return renderPage(
      req,
      reply,
      'reports.hbs',
      {
        formError: state.error ?? null,
        unitName: official.unitName,
        mayMark: marks,
        obligations: mine.map((o) => {
          const regime = byId.get(o.regimeId);
          const owed = isReportOwed(o.status);
          const badge = owed ? slaBadge(calendar, o.dueAt, now) : null;
          return {
            regimeId: o.regimeId,
            regimeName: o.regimeName,
            regimeCode: o.regimeCode,
            periodKey: o.periodKey,
            periodLabel: o.periodLabel,
            window: describeWindow(o.periodStart, o.periodEnd),
            dueDate: formatVnDateTime(o.dueAt),
            badge: badge ? { text: badge.text, tone: badge.state } : null,
            status: o.status,
            statusLabel: o.statusLabel,
            submittedAt: o.submittedAt ? formatVnDateTime(o.submittedAt) : null,
            submittedBy: describeRecorder(o.submittedBy, names),
            returnNote: o.returnNote,
            requestNote: o.requestNote,
            canMark: marks && owed && regime?.selfSubmit === true,
            viaSystem: owed && regime?.selfSubmit === false,
          };
        }),
        reviewable,
      },
      { status: state.status ?? 200, nav: 'reports', title: 'Báo cáo' },
    );
  }

  /** The active regime of the URL, or the error page: 404 for none, 403 for someone who may not review it. */
  async function loadReviewableRegime(req: FastifyRequest, reply: FastifyReply): Promise<{ regime: ReportingRegime } | { refused: FastifyReply }> {
    const params = ZRegimeParams.safeParse(req.params);
    const { regimes } = await loadActiveRegimes(db);
    const regime = params.success ? regimes.find((r) => r.id === params.data.id) : undefined;
    if (!regime) return { refused: await renderErrorPage(req, reply, 404, REGIME_NOT_FOUND, 'Không tìm thấy') };
    if (!mayReviewSubmissions(toActor(requireOfficial(req)), regime)) {
      return { refused: await renderErrorPage(req, reply, 403, REPORT_PERMISSION_MESSAGES.reviewRole, 'Không có quyền truy cập') };
    }
    return { regime };
  }

  async function renderRegime(req: FastifyRequest, reply: FastifyReply, regime: ReportingRegime, periodKey: string | undefined, state: PageState = {}) {
    const now = deps.clock.now();
    const [calendar, periods] = await Promise.all([loadWorkingCalendar(db), listRegimePeriodKeys(db, regime.id)]);
    const keys = periods.map((p) => p.periodKey);
    const key = periodKey ?? pickDefaultPeriod(regime, calendar, now, keys);
    const rows = key ? await listSubmissionStatus(db, regime.id, key) : [];
    const names = await loadOfficialNamesByLogin(
      db,
      rows.flatMap((o) => (o.submittedBy ? [o.submittedBy] : [])),
    );
    const dueAt = rows.length > 0 ? new Date(Math.max(...rows.map((r) => r.dueAt.getTime()))) : null;
    const first = rows[0];
    const adHoc = regime.frequency === 'ad_hoc' && mayRequestAdHocReport(toActor(requireOfficial(req)), regime) ? await describeRequestForm(regime, state.request) : null;
    return renderPage(
      req,
      reply,
      'report-regime.hbs',
      {
        formError: state.error ?? null,
        regime: {
          id: regime.id,
          name: regime.name,
          code: regime.code,
          frequencyLabel: describeFrequency(regime.frequency),
          deadlineLabel: regime.frequency === 'ad_hoc' ? null : describeDeadlineRule(regime.deadlineRule),
          selfSubmit: regime.selfSubmit,
        },
        periodKey: key ?? '',
        periodLabel: key ? labelPeriod(regime, key) : null,
        periodOptions: (key && !keys.includes(key) ? [key, ...keys] : keys).map((k) => ({ value: k, label: labelPeriod(regime, k), selected: k === key })),
        window: first ? describeWindow(first.periodStart, first.periodEnd) : null,
        dueDate: dueAt ? formatVnDateTime(dueAt) : null,
        deadlinePassed: dueAt ? dueAt.getTime() < now.getTime() : false,
        counts: countStanding(rows),
        units: rows.map((o) => {
          const owed = isReportOwed(o.status);
          return {
            unitId: o.unitId,
            unitName: o.unitName,
            status: o.status,
            statusLabel: o.statusLabel,
            owed,
            overdue: owed && o.dueAt.getTime() < now.getTime(),
            submittedAt: o.submittedAt ? formatVnDateTime(o.submittedAt) : null,
            submittedBy: describeRecorder(o.submittedBy, names),
            externalRef: o.externalRef,
            returnNote: o.returnNote,
          };
        }),
        adHoc,
      },
      { status: state.status ?? 200, nav: 'reports', title: `Tình hình nộp ${regime.name}` },
    );
  }

  /** The request form of an ad hoc regime: the units it may ask, and what was typed when it comes back refused. */
  async function describeRequestForm(regime: ReportingRegime, posted: PostedRequest | undefined) {
    const obliged = (await loadReportingUnits(db)).filter((u) => isUnitObliged(regime, u));
    const chosen = new Set(posted?.unitIds ?? []);
    return {
      form: {
        periodKey: posted?.periodKey ?? '',
        start: posted?.start ?? '',
        end: posted?.end ?? '',
        dueDay: posted?.dueDay ?? '',
        note: posted?.note ?? '',
        toChosen: posted?.recipients === 'chosen',
      },
      noteMax: AD_HOC_NOTE_MAX,
      obligedCount: obliged.length,
      units: [...obliged].sort((a, b) => a.name.localeCompare(b.name, 'vi')).map((u) => ({ id: u.id, name: u.name, checked: chosen.has(String(u.id)) })),
    };
  }

  scope.get('/reports', async (req, reply) => renderOverview(req, reply));

  scope.post('/reports/submit', async (req, reply) => {
    const official = requireOfficial(req);
    // Roles first, before anything else is looked at: a viewer learns nothing about what exists.
    if (!mayMarkOwnReport(toActor(official))) return renderOverview(req, reply, { status: 403, error: REPORT_PERMISSION_MESSAGES.ownReportRole });
    const form = ZOwnSubmissionForm.safeParse(req.body ?? {});
    if (!form.success) return renderOverview(req, reply, { status: 400, error: describeFormError(form.error) });
    const regime = (await loadActiveRegimes(db)).regimes.find((r) => r.id === form.data.regimeId);
    if (!regime) return renderOverview(req, reply, { status: 404, error: REGIME_NOT_FOUND });
    const now = deps.clock.now();
    // The unit is always the official's own: nothing in the form can point at another unit.
    const result = await markSubmitted(
      db,
      { regimeCode: regime.code, unitId: official.unitId, periodKey: form.data.periodKey, by: official.login, at: now },
      { selfService: true, now },
    );
    if (!result.ok) return renderOverview(req, reply, { status: REPORT_ERROR_STATUS[result.error], error: reportErrorMessage(result.error) });
    const o = result.obligation;
    req.log.info({ regimeId: regime.id, unitId: official.unitId, periodKey: o.periodKey, status: o.status, changed: result.changed }, 'official marked own report submitted');
    setFlash(
      req,
      'success',
      result.changed
        ? `Đã ghi nhận ${o.regimeName} – ${o.periodLabel}: ${o.statusLabel.toLowerCase()}.`
        : `${o.regimeName} – ${o.periodLabel} đã được ghi nhận ${o.statusLabel.toLowerCase()} từ trước; không có gì thay đổi.`,
    );
    return reply.redirect(BASE, 303);
  });

  scope.get('/reports/regimes/:id', async (req, reply) => {
    const found = await loadReviewableRegime(req, reply);
    if ('refused' in found) return found.refused;
    const regime = found.regime;
    return renderRegime(req, reply, regime, ZRegimeQuery.parse(req.query ?? {}).period);
  });

  /** Runs a receiving-side change and answers like every console form: redirect on success, the page with the reason otherwise. */
  async function review(
    req: FastifyRequest,
    reply: FastifyReply,
    regime: ReportingRegime,
    periodKey: string,
    change: () => Promise<{ ok: true; obligation: ObligationView; changed: boolean } | { ok: false; error: ReportErrorCode }>,
    done: (o: ObligationView, changed: boolean) => string,
  ) {
    const result = await change();
    if (!result.ok) return renderRegime(req, reply, regime, periodKey, { status: REPORT_ERROR_STATUS[result.error], error: reportErrorMessage(result.error) });
    const o = result.obligation;
    req.log.info({ regimeId: regime.id, unitId: o.unitId, periodKey: o.periodKey, status: o.status, changed: result.changed }, 'receiving unit recorded report status');
    setFlash(req, 'success', done(o, result.changed));
    return reply.redirect(`${BASE}/regimes/${regime.id}?period=${encodeURIComponent(o.periodKey)}`, 303);
  }

  scope.post('/reports/regimes/:id/submitted', async (req, reply) => {
    const found = await loadReviewableRegime(req, reply);
    if ('refused' in found) return found.refused;
    const regime = found.regime;
    const rawPeriod = ZPeriodKey.safeParse((req.body as Record<string, unknown> | undefined)?.periodKey);
    const form = ZRecordSubmissionForm.safeParse(req.body ?? {});
    if (!form.success) return renderRegime(req, reply, regime, rawPeriod.data, { status: 400, error: describeFormError(form.error) });
    const now = deps.clock.now();
    const at = form.data.submittedAt ?? now;
    if (at.getTime() > now.getTime()) return renderRegime(req, reply, regime, form.data.periodKey, { status: 400, error: 'Thời điểm nhận báo cáo không được sau thời điểm hiện tại.' });
    const official = requireOfficial(req);
    return review(
      req,
      reply,
      regime,
      form.data.periodKey,
      () =>
        markSubmitted(
          db,
          { regimeCode: regime.code, unitId: form.data.unitId, periodKey: form.data.periodKey, by: official.login, at, externalRef: form.data.externalRef ?? null },
          { now },
        ),
      (o, changed) =>
        changed ? `Đã ghi nhận ${o.unitName} ${o.statusLabel.toLowerCase()} ${o.periodLabel}.` : `${o.unitName} đã được ghi nhận ${o.statusLabel.toLowerCase()} từ trước; không có gì thay đổi.`,
    );
  });

  scope.post('/reports/regimes/:id/returned', async (req, reply) => {
    const found = await loadReviewableRegime(req, reply);
    if ('refused' in found) return found.refused;
    const regime = found.regime;
    const rawPeriod = ZPeriodKey.safeParse((req.body as Record<string, unknown> | undefined)?.periodKey);
    const form = ZReturnForm.safeParse(req.body ?? {});
    if (!form.success) return renderRegime(req, reply, regime, rawPeriod.data, { status: 400, error: describeFormError(form.error) });
    const now = deps.clock.now();
    const official = requireOfficial(req);
    return review(
      req,
      reply,
      regime,
      form.data.periodKey,
      () => markReturned(db, { regimeCode: regime.code, unitId: form.data.unitId, periodKey: form.data.periodKey, by: official.login, at: now, note: form.data.reason }, { now }),
      (o, changed) => (changed ? `Đã trả lại báo cáo của ${o.unitName} (${o.periodLabel}); đơn vị phải nộp lại.` : `Báo cáo của ${o.unitName} đã ở trạng thái trả lại; không có gì thay đổi.`),
    );
  });
  /**
   * Yêu cầu báo cáo đột xuất: the receiving unit's leader (or an admin) asks some or all of the regime's obliged
   * units for a report with its own code, data window, deadline and note, through requestAdHocReport; the units
   * then see it under Báo cáo and are reminded of it like of any period's report.
   */
  scope.post('/reports/regimes/:id/requests', async (req, reply) => {
    const params = ZRegimeParams.safeParse(req.params);
    const { regimes } = await loadActiveRegimes(db);
    const regime = params.success ? regimes.find((r) => r.id === params.data.id) : undefined;
    if (!regime) return renderErrorPage(req, reply, 404, REGIME_NOT_FOUND, 'Không tìm thấy');
    const official = requireOfficial(req);
    if (!mayRequestAdHocReport(toActor(official), regime)) return renderErrorPage(req, reply, 403, REPORT_PERMISSION_MESSAGES.requestRole, 'Không có quyền truy cập');

    const body = (req.body ?? {}) as Record<string, unknown>;
    const request = readPostedRequest(body);
    const refuse = (status: number, error: string) => renderRegime(req, reply, regime, undefined, { status, error, request });
    const form = ZAdHocRequestForm.safeParse(body);
    if (!form.success) return refuse(400, describeFormError(form.error));
    const f = form.data;
    const dueAt = adHocDueAt(await loadWorkingCalendar(db), f.dueDay);
    if (!dueAt) return refuse(400, `Hạn gửi ${formatVnDate(new Date(`${f.dueDay}T12:00:00+07:00`))} là ngày nghỉ. Vui lòng chọn một ngày làm việc.`);

    const now = deps.clock.now();
    const result = await requestAdHocReport(
      db,
      { regimeCode: regime.code, periodKey: f.periodKey, start: f.start, end: f.end, dueAt, unitIds: f.recipients === 'all' ? undefined : f.unitIds, note: f.note },
      now,
    );
    if (!result.ok) return refuse(AD_HOC_ERROR_STATUS[result.error], adHocRequestErrorMessage(result.error));
    req.log.info({ regimeId: regime.id, periodKey: f.periodKey, units: result.created, by: official.id }, 'ad hoc report requested');
    setFlash(req, 'success', `Đã yêu cầu ${result.created} đơn vị gửi ${regime.name} – đợt ${f.periodKey}, hạn gửi ${formatVnDateTime(dueAt)}.`);
    return reply.redirect(`${BASE}/regimes/${regime.id}?period=${encodeURIComponent(f.periodKey)}`, 303);
  });
}

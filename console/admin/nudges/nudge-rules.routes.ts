import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../../runtime/db.js';
import {
  findNudgeRuleProblem,
  fromOffsetWorkingDays,
  MAX_DAYS_BEFORE,
  MAX_DAYS_OVERDUE,
  NUDGE_TIMINGS,
  nudgeRuleProblemMessage,
  toOffsetWorkingDays,
  type NudgeRuleProblem,
  type NudgeTiming,
} from '../../../workflows/nudges/nudge-rule-checks.js';
import { STEP_OWNER, type NudgeTarget } from '../../../workflows/nudges/nudge-rules.js';
import type { SlaStep } from '../../../workflows/sla/sla-rules.js';
import { setFlash } from '../../page-renderer.js';
import { SLA_STEP_LABELS } from '../sla/sla-rules.routes.js';
import { describeFormError, formCheckbox, ZRowIdParams } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { insertNudgeRule, listNudgeRulesForAdmin, updateNudgeRule, type AdminNudgeRuleRow, type NudgeRuleValues } from './nudge-rules.repo.js';

const BASE = '/console/admin/nudges';
const STEPS = ['triage', 'accept', 'answer', 'approval'] as const satisfies readonly SlaStep[];
const TARGETS = ['assignee', 'unit_leader', 'dispatcher'] as const satisfies readonly NudgeTarget[];

export const NUDGE_TARGET_LABELS: Record<NudgeTarget, string> = {
  assignee: 'Cán bộ xử lý được giao (chưa giao thì lãnh đạo đơn vị)',
  unit_leader: 'Lãnh đạo đơn vị xử lý',
  dispatcher: 'Văn phòng (bộ phận điều phối)',
};

export const NUDGE_TIMING_LABELS: Record<NudgeTiming, string> = {
  before: 'Trước ngày đến hạn',
  due_day: 'Sáng ngày đến hạn',
  overdue: 'Khi đã quá hạn',
};

/** What officials will experience, in one sentence: when, to whom, and whether it repeats. */
export function describeNudgeRule(rule: Pick<AdminNudgeRuleRow, 'step' | 'offsetWorkingDays' | 'repeatDaily' | 'target'>): string {
  const { timing, days } = fromOffsetWorkingDays(rule.offsetWorkingDays);
  const when =
    timing === 'before'
      ? `Sáng ${days} ngày làm việc trước ngày đến hạn`
      : timing === 'due_day'
        ? 'Sáng ngày đến hạn'
        : days === 1
          ? 'Ngay khi quá hạn'
          : `Sáng ngày làm việc thứ ${days} sau hạn (quá hạn ${days} ngày làm việc)`;
  const kind = rule.target === STEP_OWNER[rule.step] ? 'nhắc' : 'báo lên';
  const repeat = rule.repeatDaily ? ', nhắc lại mỗi sáng ngày làm việc cho đến khi xong bước' : '';
  return `${when}: ${kind} ${NUDGE_TARGET_LABELS[rule.target].toLowerCase()}${repeat}.`;
}

const DAYS_MESSAGE = `Số ngày làm việc phải là số nguyên từ 1 đến ${MAX_DAYS_BEFORE} (trước hạn) hoặc từ 1 đến ${MAX_DAYS_OVERDUE} (sau hạn).`;

const ZNudgeRuleFields = {
  timing: z.enum(NUDGE_TIMINGS, { error: 'Vui lòng chọn thời điểm nhắc.' }),
  // Ignored on the due day; read below for the other timings, so a stale value there refuses nothing.
  days: z.unknown().optional(),
  repeatDaily: formCheckbox,
  target: z.enum(TARGETS, { error: 'Vui lòng chọn người được nhắc.' }),
  active: formCheckbox,
};

export const ZNudgeRuleForm = z.object(ZNudgeRuleFields).transform((f, ctx) => {
  let days = 0;
  if (f.timing !== 'due_day') {
    const text = typeof f.days === 'string' ? f.days.trim() : '';
    const max = f.timing === 'before' ? MAX_DAYS_BEFORE : MAX_DAYS_OVERDUE;
    days = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(days >= 1 && days <= max)) ctx.addIssue({ code: 'custom', path: ['days'], message: DAYS_MESSAGE });
  }
  return { offsetWorkingDays: toOffsetWorkingDays(f.timing, days), repeatDaily: f.repeatDaily, target: f.target, active: f.active };
});

export const ZNudgeStep = z.enum(STEPS, { error: 'Vui lòng chọn bước xử lý.' });

/** The form fields as sent, so a refused form shows what the admin chose, not what is stored. */
interface NudgeDraft {
  step: string;
  timing: string;
  days: string;
  repeatDaily: boolean;
  target: string;
  active: boolean;
}

function draftFromRow(row: AdminNudgeRuleRow): NudgeDraft {
  const { timing, days } = fromOffsetWorkingDays(row.offsetWorkingDays);
  return { step: row.step, timing, days: days === 0 ? '' : String(days), repeatDaily: row.repeatDaily, target: row.target, active: row.active };
}

function draftFromBody(body: unknown, fallback: NudgeDraft): NudgeDraft {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const str = (v: unknown, d: string) => (typeof v === 'string' ? v : d);
  const ticked = (v: unknown) => v === 'on' || v === 'true' || v === '1';
  return { step: str(b.step, fallback.step), timing: str(b.timing, fallback.timing), days: str(b.days, ''), repeatDaily: ticked(b.repeatDaily), target: str(b.target, fallback.target), active: ticked(b.active) };
}

function describeDraft(draft: NudgeDraft) {
  return {
    ...draft,
    stepOptions: STEPS.map((s) => ({ value: s, label: SLA_STEP_LABELS[s], selected: s === draft.step })),
    timingOptions: NUDGE_TIMINGS.map((t) => ({ value: t, label: NUDGE_TIMING_LABELS[t], selected: t === draft.timing })),
    targetOptions: TARGETS.map((t) => ({ value: t, label: NUDGE_TARGET_LABELS[t], selected: t === draft.target })),
  };
}

const NEW_DRAFT: NudgeDraft = { step: 'answer', timing: 'before', days: '3', repeatDaily: false, target: 'assignee', active: true };

/** Admin → Quy tắc nhắc hạn: the rows of nudge_rules the scheduler's sweep reads every minute. */
export async function registerNudgeRuleAdminRoutes(scope: FastifyInstance, db: Db): Promise<void> {
  interface PageState extends AdminPageState {
    /** The form that was refused ('new' or a rule id) and what it held. */
    posted?: { id: number | 'new'; draft: NudgeDraft };
  }

  async function renderRules(req: FastifyRequest, reply: FastifyReply, state: PageState = {}) {
    const rows = await listNudgeRulesForAdmin(db);
    const posted = state.posted;
    return renderAdminPage(
      req,
      reply,
      'admin/nudges.hbs',
      'nudges',
      'Quy tắc nhắc hạn',
      {
        newRule: describeDraft(posted?.id === 'new' ? posted.draft : NEW_DRAFT),
        steps: STEPS.map((step) => ({
          step,
          label: SLA_STEP_LABELS[step],
          ownerLabel: NUDGE_TARGET_LABELS[STEP_OWNER[step]],
          rules: rows
            .filter((r) => r.step === step)
            .map((r) => ({
              id: r.id,
              code: r.code,
              active: r.active,
              summary: describeNudgeRule(r),
              form: describeDraft(posted?.id === r.id ? posted.draft : draftFromRow(r)),
              // The refused form stays open with what was typed, so the admin fixes it in place.
              open: posted?.id === r.id,
            })),
        })),
      },
      state,
    );
  }

  /** The checks of workflows/nudges against every other rule; a duplicate is a conflict (409), the rest bad input. */
  async function findProblem(values: NudgeRuleValues, exceptId: number | null): Promise<NudgeRuleProblem | null> {
    const others = (await listNudgeRulesForAdmin(db)).filter((r) => r.id !== exceptId);
    return findNudgeRuleProblem(values, others);
  }

  scope.get('/nudges', async (req, reply) => renderRules(req, reply));

  scope.post('/nudges', async (req, reply) => {
    const posted = { id: 'new' as const, draft: draftFromBody(req.body, NEW_DRAFT) };
    const step = ZNudgeStep.safeParse((req.body as Record<string, unknown> | undefined)?.step);
    const form = ZNudgeRuleForm.safeParse(req.body ?? {});
    if (!step.success || !form.success) {
      const error = [step.success ? null : describeFormError(step.error), form.success ? null : describeFormError(form.error)].filter(Boolean).join(' ');
      return renderRules(req, reply, { status: 400, error, posted });
    }
    const values: NudgeRuleValues = { step: step.data, ...form.data };
    const problem = await findProblem(values, null);
    if (problem) return renderRules(req, reply, { status: problem.code === 'duplicate' ? 409 : 400, error: nudgeRuleProblemMessage(problem), posted });
    const { timing, days } = fromOffsetWorkingDays(values.offsetWorkingDays);
    const base = [values.step, timing === 'due_day' ? 'due-today' : `${timing}-${days}`, values.target.replace('_', '-')].join('-');
    const row = await insertNudgeRule(db, base, values);
    req.log.info({ nudgeRuleId: row.id, code: row.code }, 'admin created nudge rule');
    setFlash(req, 'success', `Đã thêm quy tắc nhắc ${row.code}. Quy tắc áp dụng từ lượt quét tiếp theo (mỗi phút).`);
    return reply.redirect(BASE, 303);
  });

  scope.post('/nudges/:id', async (req, reply) => {
    const params = ZRowIdParams.safeParse(req.params);
    const rows = params.success ? await listNudgeRulesForAdmin(db) : [];
    const current = rows.find((r) => params.success && r.id === params.data.id);
    if (!current) return renderRules(req, reply, { status: 404, error: 'Không tìm thấy quy tắc nhắc hạn.' });
    const posted = { id: current.id, draft: { ...draftFromBody(req.body, draftFromRow(current)), step: current.step } };
    const form = ZNudgeRuleForm.safeParse(req.body ?? {});
    if (!form.success) return renderRules(req, reply, { status: 400, error: `Quy tắc ${current.code}: ${describeFormError(form.error)}`, posted });
    // The step is part of the rule's identity (and of its reminders' keys): a rule for another step is a new rule.
    const values: NudgeRuleValues = { step: current.step, ...form.data };
    const problem = await findProblem(values, current.id);
    if (problem) {
      return renderRules(req, reply, { status: problem.code === 'duplicate' ? 409 : 400, error: `Quy tắc ${current.code}: ${nudgeRuleProblemMessage(problem)}`, posted });
    }
    await updateNudgeRule(db, current.id, values);
    req.log.info({ nudgeRuleId: current.id, ...values }, 'admin updated nudge rule');
    setFlash(
      req,
      'success',
      `Đã lưu quy tắc ${current.code}${values.active ? '' : ' (đã tắt)'}. Nhắc nhở đã gửi theo quy tắc này không gửi lại; thay đổi áp dụng từ lượt quét tiếp theo.`,
    );
    return reply.redirect(BASE, 303);
  });
}

import type { Tx } from '../../runtime/db.js';
import { loadWorkingCalendar } from '../../workflows/calendar/calendar.repo.js';
import { formatVnDateTime, localDay, type WorkingCalendar } from '../../workflows/calendar/working-calendar.js';
import { canActorSeeCase } from '../../workflows/cases/case-permissions.js';
import { CASE_STATUS_LABELS, type CaseStatus } from '../../workflows/cases/case-status.js';
import { NUDGE_STEP_LABELS } from '../../workflows/nudges/nudge-rules.js';
import { findCurrentStep } from '../../workflows/nudges/plan-nudges.js';
import { markSubmitted, listSubmissionStatus, listUnitObligations, type ObligationView } from '../../workflows/reports/report-obligations.js';
import { reportErrorMessage } from '../../workflows/reports/report-errors.js';
import { findLatestDuePeriod, findCurrentPeriod, findPeriodByKey, normalisePeriodKey } from '../../workflows/reports/report-periods.js';
import { findRegimeByCode, findUnitById, loadActiveRegimes } from '../../workflows/reports/report.repo.js';
import { isReportOwed, isUnitObliged, type ReportingRegime } from '../../workflows/reports/reporting-regime.js';
import { slaBadge } from '../../workflows/sla/sla-rules.js';
import type { OfficialAssistant } from '../conversation/engine.js';
import { queryButton, type OutgoingMessage } from '../conversation/outgoing.js';
import { matchAssistantCommand, type AssistantCommand } from './assistant-commands.js';
import { ASSISTANT_TEXTS as T, type CaseLine } from './assistant-messages.js';
import { findCaseByCode, findOldestOwedPeriod, listMyOpenCases, loadAssistantOfficial, type AssistantOfficial } from './assistant.repo.js';
import { mayMarkOwnReport, mayReviewSubmissions } from '../../workflows/reports/report-permissions.js';

/** Zalo messages are read on a phone: ten lines of cases are a screen. */
const MAX_CASES_LISTED = 10;
const MAX_UNITS_LISTED = 20;

export interface OfficialAssistantOptions {
  /** Links in replies point at the console (PUBLIC_BASE_URL); without it the case code alone is given. */
  publicBaseUrl?: string;
}

const text = (t: string): OutgoingMessage[] => [{ type: 'text', text: t }];

interface Context {
  tx: Tx;
  official: AssistantOfficial;
  calendar: WorkingCalendar;
  now: Date;
  publicBaseUrl: string;
}

/** The SLA badge of a case's current step; a paused case says so instead of a countdown. */
function describeDue(calendar: WorkingCalendar, c: { status: CaseStatus; triageDueAt: Date | null; acceptDueAt: Date | null; answerDueAt: Date | null }, now: Date) {
  if (c.status === 'awaiting_info') return { stepLabel: null, dueDate: null, badge: 'tạm dừng (chờ bổ sung)' };
  const step = findCurrentStep(c);
  if (!step) return { stepLabel: null, dueDate: null, badge: '' };
  return { stepLabel: NUDGE_STEP_LABELS[step.step], dueDate: formatVnDateTime(step.dueAt), badge: slaBadge(calendar, step.dueAt, now).text };
}

async function replyMyCases(ctx: Context): Promise<OutgoingMessage[]> {
  const { rows, total } = await listMyOpenCases(ctx.tx, ctx.official, MAX_CASES_LISTED);
  if (rows.length === 0) return text(T.myCasesEmpty);
  const lines: CaseLine[] = rows.map((c) => ({ code: c.code, statusLabel: CASE_STATUS_LABELS[c.status], ...describeDue(ctx.calendar, c, ctx.now) }));
  return text(T.myCases(lines, total));
}

async function replyLookup(ctx: Context, code: string | undefined): Promise<OutgoingMessage[]> {
  if (!code) return text(T.askCaseCode);
  const found = await findCaseByCode(ctx.tx, code);
  // Another unit's case reads exactly like a missing one, as in the console: codes cannot be probed.
  if (!found || !canActorSeeCase(ctx.official.actor, found.view)) return text(T.caseNotFound(code));
  const c = found.view;
  const due = describeDue(ctx.calendar, c, ctx.now);
  return text(
    T.caseStatus({
      code: c.code,
      statusLabel: CASE_STATUS_LABELS[c.status],
      categoryName: found.categoryName,
      unitName: found.unitName,
      assigneeName: found.assigneeName,
      receivedDate: formatVnDateTime(c.receivedAt),
      ...due,
      answerDueDate: c.answerDueAt && due.stepLabel !== NUDGE_STEP_LABELS.answer ? formatVnDateTime(c.answerDueAt) : null,
      answer: c.answerText && (c.status === 'answered' || c.status === 'closed') ? c.answerText : null,
      url: ctx.publicBaseUrl ? `${ctx.publicBaseUrl}/console/cases/${c.id}` : null,
    }),
  );
}

function describeObligation(ctx: Context, o: ObligationView): string {
  const badge = isReportOwed(o.status) ? slaBadge(ctx.calendar, o.dueAt, ctx.now).text : '';
  return T.obligationLine(o, formatVnDateTime(o.dueAt), badge);
}

async function replyUnitReports(ctx: Context): Promise<OutgoingMessage[]> {
  const items = await listUnitObligations(ctx.tx, ctx.official.unitId, ctx.now);
  if (items.length === 0) return text(T.unitReportsEmpty(ctx.official.unitName));
  return text(
    T.unitReports(
      ctx.official.unitName,
      items,
      items.map((o) => describeObligation(ctx, o)),
    ),
  );
}

async function regimeCodes(tx: Tx): Promise<string[]> {
  return (await loadActiveRegimes(tx)).regimes.map((r) => r.code);
}

/** The period the official named, or a sensible default; `undefined` with a reply when it cannot be read. */
function resolvePeriod(
  regime: ReportingRegime,
  ctx: Context,
  typed: string | undefined,
  fallback: () => string | undefined,
): { key: string; label?: string } | { reply: OutgoingMessage[] } {
  if (typed === undefined) {
    const key = fallback();
    return key ? { key } : { reply: text(T.nothingOwed(regime.name)) };
  }
  const key = normalisePeriodKey(typed) ?? typed.trim();
  if (regime.frequency !== 'ad_hoc' && !findPeriodByKey(regime, ctx.calendar, key)) return { reply: text(T.unknownPeriod(typed, regime.name)) };
  return { key };
}

async function replyReportStatus(ctx: Context, command: Extract<AssistantCommand, { type: 'report_status' }>): Promise<OutgoingMessage[]> {
  const regime = await findRegimeByCode(ctx.tx, command.regimeCode);
  if (!regime || !regime.active) return text(T.unknownRegime(command.regimeCode, await regimeCodes(ctx.tx)));
  if (!mayReviewSubmissions(ctx.official.actor, regime)) return text(T.notReceivingLeader(regime.name));

  // By default the latest period whose deadline has come: the one whose missing reports can be chased.
  const period = resolvePeriod(regime, ctx, command.period, () => (findLatestDuePeriod(regime, ctx.calendar, ctx.now) ?? findCurrentPeriod(regime, ctx.calendar, ctx.now)?.current)?.key);
  if ('reply' in period) return period.reply;
  const rows = await listSubmissionStatus(ctx.tx, regime.id, period.key);
  const first = rows[0];
  if (!first) return text(T.submissionStatusEmpty(regime.name, period.key));
  const submitted = rows.filter((r) => !isReportOwed(r.status));
  return text(
    T.submissionStatus({
      regimeName: regime.name,
      periodLabel: first.periodLabel,
      dueDate: formatVnDateTime(new Date(Math.max(...rows.map((r) => r.dueAt.getTime())))),
      total: rows.length,
      submitted: submitted.map((r) => r.unitName),
      late: submitted.filter((r) => r.status === 'nop_muon').length,
      missing: rows.filter((r) => isReportOwed(r.status)).map((r) => r.unitName),
      maxListed: MAX_UNITS_LISTED,
    }),
  );
}

async function replySubmitReport(ctx: Context, command: Extract<AssistantCommand, { type: 'submit_report' }>): Promise<OutgoingMessage[]> {
  const regime = await findRegimeByCode(ctx.tx, command.regimeCode);
  if (!regime || !regime.active) return text(T.unknownRegime(command.regimeCode, await regimeCodes(ctx.tx)));
  if (!mayMarkOwnReport(ctx.official.actor)) return text(T.submitNotAllowedRole);
  if (!regime.selfSubmit) return text(reportErrorMessage('self_submit_not_allowed'));
  const unit = await findUnitById(ctx.tx, ctx.official.unitId);
  if (!unit || !isUnitObliged(regime, unit)) return text(T.notObliged(ctx.official.unitName, regime.name));

  const today = localDay(ctx.now);
  const owed = await findOldestOwedPeriod(ctx.tx, regime.id, ctx.official.unitId, today);
  const period = resolvePeriod(regime, ctx, command.period, () => owed);
  if ('reply' in period) return period.reply;
  const result = await markSubmitted(
    ctx.tx,
    { regimeCode: regime.code, unitId: ctx.official.unitId, periodKey: period.key, by: ctx.official.login, at: ctx.now },
    { selfService: true, now: ctx.now },
  );
  if (!result.ok) return text(reportErrorMessage(result.error));
  return text(T.submitted(result.obligation, result.changed));
}

async function replyHelp(ctx: Context): Promise<OutgoingMessage[]> {
  return [
    {
      type: 'buttons',
      text: T.commands(ctx.official.fullName, await regimeCodes(ctx.tx)),
      buttons: [queryButton('Việc của tôi', 'việc của tôi'), queryButton('Báo cáo kỳ này', 'báo cáo')],
    },
  ];
}

/**
 * The assistant officials reach through the OA once their Zalo account is linked (ZALO.md §5.2: staff are just
 * other users of the OA). It answers in the same transaction as the inbound event, so its reply and any
 * change it makes ("đã nộp") commit together with the event being marked done.
 */
export function createOfficialAssistant(options: OfficialAssistantOptions = {}): OfficialAssistant {
  return async (tx, { officialId, text: input, now }) => {
    const official = await loadAssistantOfficial(tx, officialId);
    if (!official) return text(T.notLinked);
    const ctx: Context = { tx, official, calendar: await loadWorkingCalendar(tx), now, publicBaseUrl: options.publicBaseUrl ?? '' };
    const command = matchAssistantCommand(input);
    switch (command.type) {
      case 'my_cases':
        return replyMyCases(ctx);
      case 'lookup':
        return replyLookup(ctx, command.code);
      case 'unit_reports':
        return replyUnitReports(ctx);
      case 'report_status':
        return replyReportStatus(ctx, command);
      case 'submit_report':
        return replySubmitReport(ctx, command);
      case 'help':
        return replyHelp(ctx);
    }
  };
}

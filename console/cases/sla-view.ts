import type { WorkingCalendar } from '../../workflows/calendar/working-calendar.js';
import type { CaseStatus } from '../../workflows/cases/case-status.js';
import { slaBadge, type SlaBadge } from '../../workflows/sla/sla-rules.js';

type DueFields = {
  status: CaseStatus;
  triageDueAt: Date | null;
  acceptDueAt: Date | null;
  answerDueAt: Date | null;
};

function earliest(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

/**
 * The due date of the step the case is in. This mirrors `currentDueAtSql` of workflows/cases/list-cases.ts
 * (which only exists as SQL), so the badge agrees with the "sắp đến hạn" and "quá hạn" views; replace it with
 * the workflows' own function once one is exported.
 */
export function currentDueAt(c: DueFields): Date | null {
  switch (c.status) {
    case 'received':
      return earliest(c.triageDueAt, c.answerDueAt);
    case 'assigned':
      return earliest(c.acceptDueAt, c.answerDueAt);
    case 'in_progress':
    case 'pending_approval':
      return c.answerDueAt;
    default:
      return null;
  }
}

export interface SlaBadgeView extends SlaBadge {
  /** CSS modifier: ok, due_soon, overdue, paused, none. */
  tone: string;
}

/** The badge shown in lists and on the case page; awaiting_info says the clock is paused instead. */
export function describeSla(cal: WorkingCalendar, c: DueFields, now: Date): SlaBadgeView {
  if (c.status === 'awaiting_info') return { state: 'none', text: 'tạm dừng (chờ bổ sung)', tone: 'paused' };
  const badge = slaBadge(cal, currentDueAt(c), now);
  return { ...badge, tone: badge.state };
}

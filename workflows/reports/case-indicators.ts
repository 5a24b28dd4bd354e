import { and, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { cases, categories, units } from '../../db/schema.js';
import { queryRows, type Queryable } from '../../runtime/db.js';
import { parseDayNumber, startOfLocalDay } from '../calendar/local-time.js';

/**
 * The indicator feed for the city's reporting and steering systems (DOMAIN.md §4.2–4.3: indicators fed to the
 * Government reporting system; DHIS2-style expected/actual/on-time counts, ANCHORS.md §1.5). Every number is
 * read from stored facts (answered_on_time is frozen when the answer goes out), over the cases received in
 * the window.
 */

export const INDICATOR_GROUPINGS = ['unit', 'category', 'month'] as const;
export type IndicatorGrouping = (typeof INDICATOR_GROUPINGS)[number];

export interface IndicatorFilters {
  /** received_at ≥ from */
  from: Date;
  /** received_at < to */
  to: Date;
  unitId?: number;
  categoryId?: number;
  groupBy: IndicatorGrouping;
}

export interface IndicatorCounts {
  /** Cases received in the window. */
  received: number;
  /** Of those, no longer open: answered, closed, refused or merged. */
  handled: number;
  /** Answered (at least once), the base of the on-time rate. */
  answered: number;
  answeredOnTime: number;
  /** answeredOnTime / answered; null without answers. */
  onTimeRate: number | null;
  /** Still running (not paused) and past the answer due date now. */
  overdue: number;
  rated: number;
  /** Rated "hài lòng" or "chấp nhận". */
  satisfied: number;
  /** satisfied / rated; null without ratings. */
  satisfactionRate: number | null;
}

export interface IndicatorGroup extends IndicatorCounts {
  /** Unit code, category code or YYYY-MM; null for cases without a unit or category yet. */
  key: string | null;
  label: string;
}

export interface IndicatorReport {
  groups: IndicatorGroup[];
  totals: IndicatorCounts;
}

/** Local days 'YYYY-MM-DD', both inclusive, as the half-open instant range the query filters on. */
export function toReceiptWindow(fromDay: string, toDay: string): { from: Date; to: Date } {
  return { from: new Date(startOfLocalDay(parseDayNumber(fromDay))), to: new Date(startOfLocalDay(parseDayNumber(toDay) + 1)) };
}

const NO_UNIT_LABEL = 'Chưa giao đơn vị';
const NO_CATEGORY_LABEL = 'Chưa phân loại';

function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

function withRates(c: Omit<IndicatorCounts, 'onTimeRate' | 'satisfactionRate'>): IndicatorCounts {
  return { ...c, onTimeRate: rate(c.answeredOnTime, c.answered), satisfactionRate: rate(c.satisfied, c.rated) };
}

function groupColumns(groupBy: IndicatorGrouping): { key: SQL; label: SQL } {
  switch (groupBy) {
    case 'unit':
      return { key: sql`${units.code}`, label: sql`coalesce(${units.fullName}, ${NO_UNIT_LABEL})` };
    case 'category':
      return { key: sql`${categories.code}`, label: sql`coalesce(${categories.name}, ${NO_CATEGORY_LABEL})` };
    case 'month': {
      // Local (+07:00, no DST) month of receipt; a fixed offset avoids depending on the server's tz database.
      const month = sql`to_char((${cases.receivedAt} at time zone 'UTC') + interval '7 hours', 'YYYY-MM')`;
      return { key: month, label: month };
    }
  }
}

type CountRow = { key: string | null; label: string } & Record<
  'received' | 'handled' | 'answered' | 'answered_on_time' | 'overdue' | 'rated' | 'satisfied',
  number | string
>;

export async function computeCaseIndicators(q: Queryable, filters: IndicatorFilters, now: Date): Promise<IndicatorReport> {
  const { key, label } = groupColumns(filters.groupBy);
  const conditions: SQL[] = [gte(cases.receivedAt, filters.from), lt(cases.receivedAt, filters.to)];
  if (filters.unitId !== undefined) conditions.push(eq(cases.responsibleUnitId, filters.unitId));
  if (filters.categoryId !== undefined) conditions.push(eq(cases.categoryId, filters.categoryId));

  const rows = await queryRows<CountRow>(
    q,
    sql`select ${key} as key, ${label} as label,
          count(*) as received,
          count(*) filter (where ${cases.status} in ('answered', 'closed', 'refused', 'merged')) as handled,
          count(*) filter (where ${cases.answeredOnTime} is not null) as answered,
          count(*) filter (where ${cases.answeredOnTime}) as answered_on_time,
          count(*) filter (where ${cases.status} in ('received', 'assigned', 'in_progress', 'pending_approval')
                             and ${cases.answerDueAt} < ${now.toISOString()}::timestamptz) as overdue,
          count(*) filter (where ${cases.rating} is not null) as rated,
          count(*) filter (where ${cases.rating} in ('hai_long', 'chap_nhan')) as satisfied
        from ${cases}
        left join ${units} on ${units.id} = ${cases.responsibleUnitId}
        left join ${categories} on ${categories.id} = ${cases.categoryId}
        where ${and(...conditions)}
        group by 1, 2
        order by 1 nulls last, 2`,
  );

  const groups = rows.map((r) =>
    ({
      key: r.key,
      label: r.label,
      ...withRates({
        received: Number(r.received),
        handled: Number(r.handled),
        answered: Number(r.answered),
        answeredOnTime: Number(r.answered_on_time),
        overdue: Number(r.overdue),
        rated: Number(r.rated),
        satisfied: Number(r.satisfied),
      }),
    }) satisfies IndicatorGroup,
  );
  const sum = (field: 'received' | 'handled' | 'answered' | 'answeredOnTime' | 'overdue' | 'rated' | 'satisfied') =>
    groups.reduce((total, g) => total + g[field], 0);
  return {
    groups,
    totals: withRates({
      received: sum('received'),
      handled: sum('handled'),
      answered: sum('answered'),
      answeredOnTime: sum('answeredOnTime'),
      overdue: sum('overdue'),
      rated: sum('rated'),
      satisfied: sum('satisfied'),
    }),
  };
}

export async function findCategoryIdByCode(q: Queryable, code: string): Promise<number | undefined> {
  const [row] = await q.select({ id: categories.id }).from(categories).where(eq(categories.code, code.trim()));
  return row?.id;
}

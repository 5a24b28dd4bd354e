import { sql } from 'drizzle-orm';
import { queryRows, type Queryable } from '../../runtime/db.js';
import { localDay } from '../calendar/working-calendar.js';

/** `PA-2026-000123`: the tracking code citizens quote; numbering restarts every local (Hà Nội) year. */
export function formatCaseCode(year: number, sequence: number): string {
  return `PA-${year}-${String(sequence).padStart(6, '0')}`;
}

export const CASE_CODE_PATTERN = /^PA-\d{4}-\d{6,}$/;

/**
 * Takes the next number of the year in one statement: the upsert's row lock serialises concurrent cases,
 * so two cases never share a code and no number is skipped by a committed case.
 */
export async function allocateCaseCode(q: Queryable, receivedAt: Date): Promise<string> {
  const year = Number(localDay(receivedAt).slice(0, 4));
  const [row] = await queryRows<{ last: number }>(
    q,
    sql`insert into case_counters (year, last) values (${year}, 1)
        on conflict (year) do update set last = case_counters.last + 1
        returning last`,
  );
  if (!row) throw new Error('case_counters upsert returned no row');
  return formatCaseCode(year, Number(row.last));
}

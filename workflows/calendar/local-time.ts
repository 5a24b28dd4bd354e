/**
 * Asia/Ho_Chi_Minh is UTC+07:00 all year (no DST since 1975), so a fixed offset is exact and spares
 * every deadline computation a round trip through Intl.
 */
export const VN_OFFSET_MS = 7 * 60 * 60 * 1000;
export const DAY_MS = 24 * 60 * 60 * 1000;
export const MINUTE_MS = 60 * 1000;

/** Days since 1970-01-01 of the local (+07:00) calendar day that contains `at`. */
export function toLocalDayNumber(at: Date): number {
  return Math.floor((readTime(at) + VN_OFFSET_MS) / DAY_MS);
}

/** The instant of local midnight starting the given local day. */
export function startOfLocalDay(dayNumber: number): number {
  return dayNumber * DAY_MS - VN_OFFSET_MS;
}

/** 0 = Sunday … 6 = Saturday; 1970-01-01 was a Thursday. */
export function weekdayOfDayNumber(dayNumber: number): number {
  return (((dayNumber + 4) % 7) + 7) % 7;
}

const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses 'YYYY-MM-DD'; refuses impossible dates such as 2026-02-30 instead of rolling them over. */
export function parseDayNumber(day: string): number {
  const match = DAY_PATTERN.exec(day);
  if (!match) throw new RangeError(`Invalid day "${day}": expected YYYY-MM-DD`);
  const [, y, m, d] = match;
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const dayNumber = ms / DAY_MS;
  if (formatDayNumber(dayNumber) !== day) throw new RangeError(`Invalid day "${day}": no such date`);
  return dayNumber;
}

export function formatDayNumber(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

/** Throws on an Invalid Date so that NaN never leaks into a stored deadline. */
export function readTime(at: Date): number {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError('Invalid Date');
  return ms;
}

function shiftToLocal(at: Date): Date {
  return new Date(readTime(at) + VN_OFFSET_MS);
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

export function localDay(at: Date): string {
  return shiftToLocal(at).toISOString().slice(0, 10);
}

/** Milliseconds are written only when present, so whole-second deadlines read like the examples. */
export function formatLocalIso(at: Date): string {
  const local = shiftToLocal(at);
  const ms = local.getUTCMilliseconds();
  const base = local.toISOString().slice(0, 19);
  return `${base}${ms === 0 ? '' : `.${String(ms).padStart(3, '0')}`}+07:00`;
}

export function formatVnDate(at: Date): string {
  const local = shiftToLocal(at);
  return `${pad2(local.getUTCDate())}/${pad2(local.getUTCMonth() + 1)}/${local.getUTCFullYear()}`;
}

export function formatVnDateTime(at: Date): string {
  const local = shiftToLocal(at);
  return `${pad2(local.getUTCHours())}:${pad2(local.getUTCMinutes())} ${formatVnDate(at)}`;
}

import { formatDayNumber, MINUTE_MS, parseDayNumber, startOfLocalDay } from '../calendar/local-time.js';
import { isWorkingDay, localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import { dayOf, instantOn, isWorkingDayNumber, shiftWorkingDayNumber, type WorkingDayIndex } from './working-day-index.js';

/**
 * When reminders may reach officials: working days, from the morning hour until the end of the working day
 * (local time, +07:00). A reminder due at night, on a weekend or on Tết waits for the next working morning,
 * so nobody's phone buzzes at 23:00 on mùng 1 about a deadline that cannot move before Monday anyway.
 */
export interface SendWindow {
  /** 'HH:MM', the first moment of a working day a reminder may go out; also the "morning of" a day. */
  morning: string;
  /** 'HH:MM', exclusive: 17:30 is the end of the afternoon session of DEFAULT_WORKING_SESSIONS. */
  evening: string;
}

export const DEFAULT_SEND_WINDOW: SendWindow = { morning: '08:00', evening: '17:30' };

const CLOCK = /^(\d{2}):(\d{2})$/;

export function parseClockMs(value: string): number {
  const m = CLOCK.exec(value);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
  if (!m || Number(m[2]) > 59 || !(minutes >= 0 && minutes <= 24 * 60)) {
    throw new RangeError(`Invalid time "${value}": expected HH:MM`);
  }
  return minutes * MINUTE_MS;
}

/** The instant of `clock` ('HH:MM') on the local day 'YYYY-MM-DD'. */
export function atLocalTime(day: string, clock: string): Date {
  return new Date(startOfLocalDay(parseDayNumber(day)) + parseClockMs(clock));
}

/** The local day `n` working days after (n > 0) or before (n < 0) `day`; n = 0 is `day` itself. */
export function shiftWorkingDays(cal: WorkingCalendar, day: string, n: number): string {
  let dayNumber = parseDayNumber(day);
  const step = n < 0 ? -1 : 1;
  // A year of days off in a row cannot happen with a sane calendar; the bound keeps a broken one from hanging.
  for (let left = Math.abs(n), guard = 0; left > 0; guard++) {
    if (guard > 366 + Math.abs(n) * 7) throw new Error(`No working day found near ${day}`);
    dayNumber += step;
    if (isWorkingDay(cal, formatDayNumber(dayNumber))) left--;
  }
  return formatDayNumber(dayNumber);
}

/** `day` when it is a working day, else the first working day after it. */
export function firstWorkingDayFrom(cal: WorkingCalendar, day: string): string {
  return isWorkingDay(cal, day) ? day : shiftWorkingDays(cal, day, 1);
}

/** `at` itself when it falls inside the send window, else the next working morning. */
export function deferToSendWindow(cal: WorkingCalendar, window: SendWindow, at: Date): Date {
  const day = localDay(at);
  if (isWorkingDay(cal, day)) {
    const morning = atLocalTime(day, window.morning);
    const evening = atLocalTime(day, window.evening);
    if (at.getTime() < morning.getTime()) return morning;
    if (at.getTime() < evening.getTime()) return at;
  }
  return atLocalTime(shiftWorkingDays(cal, day, 1), window.morning);
}

/** True when `at` is inside the send window (a working day, between morning and evening). */
export function isInSendWindow(cal: WorkingCalendar, window: SendWindow, at: Date): boolean {
  return deferToSendWindow(cal, window, at).getTime() === at.getTime();
}

/** A SendWindow as offsets from local midnight, parsed once per sweep rather than once per case. */
export interface SendWindowMs {
  morningMs: number;
  eveningMs: number;
}

export function parseSendWindow(window: SendWindow): SendWindowMs {
  return { morningMs: parseClockMs(window.morning), eveningMs: parseClockMs(window.evening) };
}

/** deferToSendWindow on epoch ms and a working-day index. */
export function deferInstantToSendWindow(ix: WorkingDayIndex, window: SendWindowMs, at: number): number {
  const day = dayOf(at);
  if (isWorkingDayNumber(ix, day)) {
    if (at < instantOn(day, window.morningMs)) return instantOn(day, window.morningMs);
    if (at < instantOn(day, window.eveningMs)) return at;
  }
  return instantOn(shiftWorkingDayNumber(ix, day, 1), window.morningMs);
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../../runtime/app.js';
import { formatVnDate } from '../../../workflows/calendar/working-calendar.js';
import { setFlash } from '../../page-renderer.js';
import { describeFormError, formText, optionalFormText } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { deleteCalendarDay, insertCalendarDay, listCalendarDaysOfYear, updateCalendarDay } from './calendar-days.repo.js';

const DAY_MESSAGE = 'Ngày không hợp lệ (định dạng năm-tháng-ngày, ví dụ 2026-09-02).';
const WEEKDAYS = ['Chủ nhật', 'Thứ hai', 'Thứ ba', 'Thứ tư', 'Thứ năm', 'Thứ sáu', 'Thứ bảy'];

/** A real date between 2000 and 2100: "2026-02-30" is refused rather than rolled over. */
export const ZCalendarDay = z
  .string({ error: DAY_MESSAGE })
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: DAY_MESSAGE })
  .refine((d) => {
    const at = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === d && d >= '2000-01-01' && d < '2100-01-01';
  }, { error: DAY_MESSAGE });

export const ZCalendarDayForm = z.object({
  working: z.enum(['off', 'working'], { error: 'Vui lòng chọn loại ngày (nghỉ hoặc làm việc bù).' }).transform((v) => v === 'working'),
  reason: formText({ required: 'Vui lòng ghi lý do (ví dụ: Nghỉ lễ Quốc khánh).', max: 200, tooLong: 'Lý do quá dài (tối đa 200 ký tự).' }),
  source: optionalFormText({ max: 500, tooLong: 'Căn cứ quá dài (tối đa 500 ký tự).' }),
});

const ZNewCalendarDayForm = ZCalendarDayForm.extend({ day: ZCalendarDay });
const ZDayParams = z.object({ day: ZCalendarDay });
const ZYearQuery = z.object({ year: z.coerce.number().int().min(2000).max(2099).optional().catch(undefined) });

export async function registerCalendarAdminRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  async function renderCalendar(req: FastifyRequest, reply: FastifyReply, state: AdminPageState & { year?: number } = {}) {
    const currentYear = Number(formatVnDate(deps.clock.now()).slice(-4));
    const year = state.year ?? ZYearQuery.parse(req.query ?? {}).year ?? currentYear;
    const rows = await listCalendarDaysOfYear(db, year);
    return renderAdminPage(
      req,
      reply,
      'admin/calendar.hbs',
      'calendar',
      'Lịch làm việc',
      {
        year,
        previousYear: year - 1,
        nextYear: year + 1,
        days: rows.map((r) => ({
          ...r,
          source: r.source ?? '',
          weekday: WEEKDAYS[new Date(`${r.day}T00:00:00Z`).getUTCDay()],
          dateLabel: `${r.day.slice(8, 10)}/${r.day.slice(5, 7)}/${r.day.slice(0, 4)}`,
        })),
      },
      state,
    );
  }

  const backTo = (day: string) => `/console/admin/calendar?year=${day.slice(0, 4)}`;

  scope.get('/calendar', async (req, reply) => renderCalendar(req, reply));

  scope.post('/calendar', async (req, reply) => {
    const form = ZNewCalendarDayForm.safeParse(req.body ?? {});
    if (!form.success) return renderCalendar(req, reply, { status: 400, error: describeFormError(form.error) });
    const { day, ...values } = form.data;
    if (!(await insertCalendarDay(db, day, { ...values, source: values.source ?? null }))) {
      return renderCalendar(req, reply, { status: 409, error: 'Ngày này đã có trong lịch. Vui lòng sửa dòng hiện có.', year: Number(day.slice(0, 4)) });
    }
    req.log.info({ day, working: values.working }, 'admin added calendar day');
    setFlash(req, 'success', 'Đã thêm ngày vào lịch. Hạn xử lý của hồ sơ mới được tính theo lịch này.');
    return reply.redirect(backTo(day), 303);
  });

  scope.post('/calendar/:day', async (req, reply) => {
    const params = ZDayParams.safeParse(req.params);
    if (!params.success) return renderCalendar(req, reply, { status: 404, error: 'Không tìm thấy ngày này trong lịch.' });
    const form = ZCalendarDayForm.safeParse(req.body ?? {});
    if (!form.success) return renderCalendar(req, reply, { status: 400, error: describeFormError(form.error) });
    if (!(await updateCalendarDay(db, params.data.day, { ...form.data, source: form.data.source ?? null }))) {
      return renderCalendar(req, reply, { status: 404, error: 'Không tìm thấy ngày này trong lịch.' });
    }
    req.log.info({ day: params.data.day }, 'admin updated calendar day');
    setFlash(req, 'success', 'Đã lưu ngày trong lịch.');
    return reply.redirect(backTo(params.data.day), 303);
  });

  scope.post('/calendar/:day/delete', async (req, reply) => {
    const params = ZDayParams.safeParse(req.params);
    if (!params.success || !(await deleteCalendarDay(db, params.data.day))) {
      return renderCalendar(req, reply, { status: 404, error: 'Không tìm thấy ngày này trong lịch.' });
    }
    req.log.info({ day: params.data.day }, 'admin deleted calendar day');
    setFlash(req, 'success', 'Đã xóa ngày khỏi lịch.');
    return reply.redirect(backTo(params.data.day), 303);
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../../runtime/db.js';
import { setFlash } from '../../page-renderer.js';
import { loadReferenceData } from '../../reference-data.repo.js';
import { describeFormError, formCheckbox, formText, ZRowIdParams } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { listSlaRulesForAdmin, updateSlaRule } from './sla-rules.repo.js';

export const SLA_STEP_LABELS = {
  triage: 'Phân loại, chuyển xử lý',
  accept: 'Đơn vị tiếp nhận',
  answer: 'Trả lời người gửi',
  approval: 'Lãnh đạo duyệt',
} as const;
export const SLA_UNIT_LABELS = { working_days: 'ngày làm việc', working_hours: 'giờ làm việc' } as const;
const PRIORITY_LABELS = { normal: 'Thường', urgent: 'Khẩn', complex: 'Phức tạp' } as const;

const LIMIT_MESSAGE = 'Thời hạn phải là số nguyên từ 1 đến 365.';

export const ZSlaRuleForm = z.object({
  limitValue: z.coerce.number({ error: LIMIT_MESSAGE }).int({ error: LIMIT_MESSAGE }).min(1, { error: LIMIT_MESSAGE }).max(365, { error: LIMIT_MESSAGE }),
  limitUnit: z.enum(['working_days', 'working_hours'], { error: 'Đơn vị thời hạn không hợp lệ.' }),
  legalSource: formText({ required: 'Vui lòng ghi căn cứ pháp lý của thời hạn.', max: 1000, tooLong: 'Căn cứ pháp lý quá dài (tối đa 1.000 ký tự).' }),
  active: formCheckbox,
});

export async function registerSlaRuleAdminRoutes(scope: FastifyInstance, db: Db): Promise<void> {
  async function renderRules(req: FastifyRequest, reply: FastifyReply, state: AdminPageState = {}) {
    const [ref, rows] = await Promise.all([loadReferenceData(db), listSlaRulesForAdmin(db)]);
    return renderAdminPage(
      req,
      reply,
      'admin/sla.hbs',
      'sla',
      'Thời hạn xử lý',
      {
        rules: rows.map((r) => ({
          ...r,
          stepLabel: SLA_STEP_LABELS[r.step],
          appliesTo: [r.categoryId === null ? 'Mọi lĩnh vực' : ref.categoryName(r.categoryId), r.priority ? `mức độ ${PRIORITY_LABELS[r.priority]}` : 'mọi mức độ'].join(', '),
          unitOptions: (Object.keys(SLA_UNIT_LABELS) as Array<keyof typeof SLA_UNIT_LABELS>).map((u) => ({ value: u, label: SLA_UNIT_LABELS[u], selected: u === r.limitUnit })),
        })),
      },
      state,
    );
  }

  scope.get('/sla', async (req, reply) => renderRules(req, reply));

  scope.post('/sla/:id', async (req, reply) => {
    const params = ZRowIdParams.safeParse(req.params);
    if (!params.success) return renderRules(req, reply, { status: 404, error: 'Không tìm thấy quy định thời hạn.' });
    const form = ZSlaRuleForm.safeParse(req.body ?? {});
    if (!form.success) return renderRules(req, reply, { status: 400, error: describeFormError(form.error) });
    if (!(await updateSlaRule(db, params.data.id, form.data))) return renderRules(req, reply, { status: 404, error: 'Không tìm thấy quy định thời hạn.' });
    req.log.info({ slaRuleId: params.data.id, ...form.data }, 'admin updated sla rule');
    setFlash(req, 'success', 'Đã lưu thời hạn. Thời hạn mới áp dụng cho hồ sơ tiếp nhận từ bây giờ.');
    return reply.redirect('/console/admin/sla', 303);
  });
}

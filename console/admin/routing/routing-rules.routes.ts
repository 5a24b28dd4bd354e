import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../../runtime/db.js';
import { setFlash } from '../../page-renderer.js';
import { listAreaUnits, listHandlingUnits, loadReferenceData } from '../../reference-data.repo.js';
import { describeFormError, formCheckbox, optionalFormId, optionalFormText, ZRowIdParams } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { deleteRoutingRule, insertRoutingRule, listRoutingRulesForAdmin, updateRoutingRule } from './routing-rules.repo.js';

const PRIORITY_MESSAGE = 'Độ ưu tiên phải là số nguyên từ 1 đến 1000 (số nhỏ được xét trước).';
const priority = z.coerce.number({ error: PRIORITY_MESSAGE }).int({ error: PRIORITY_MESSAGE }).min(1, { error: PRIORITY_MESSAGE }).max(1000, { error: PRIORITY_MESSAGE });
/** "area" = the case's own ward or commune; otherwise a unit id. */
const AREA_TARGET = 'area';

export const ZNewRoutingRuleForm = z
  .object({
    categoryId: optionalFormId('Lĩnh vực không hợp lệ.'),
    areaUnitId: optionalFormId('Phường, xã không hợp lệ.'),
    target: z.string({ error: 'Vui lòng chọn đơn vị nhận.' }).trim().min(1, { error: 'Vui lòng chọn đơn vị nhận.' }),
    priority,
    note: optionalFormText({ max: 500, tooLong: 'Ghi chú quá dài (tối đa 500 ký tự).' }),
  })
  .transform((f, ctx) => {
    const routeToArea = f.target === AREA_TARGET;
    const targetUnitId = routeToArea ? null : Number(f.target);
    if (!routeToArea && !(Number.isInteger(targetUnitId) && (targetUnitId ?? 0) > 0)) {
      ctx.addIssue({ code: 'custom', message: 'Đơn vị nhận không hợp lệ.' });
      return z.NEVER;
    }
    return { categoryId: f.categoryId ?? null, areaUnitId: f.areaUnitId ?? null, targetUnitId, routeToArea, priority: f.priority, note: f.note ?? null };
  });

export const ZRoutingRuleUpdateForm = z.object({ priority, active: formCheckbox });

export async function registerRoutingRuleAdminRoutes(scope: FastifyInstance, db: Db): Promise<void> {
  async function renderRules(req: FastifyRequest, reply: FastifyReply, state: AdminPageState = {}) {
    const [ref, rows] = await Promise.all([loadReferenceData(db), listRoutingRulesForAdmin(db)]);
    return renderAdminPage(
      req,
      reply,
      'admin/routing.hbs',
      'routing',
      'Quy tắc phân công',
      {
        categoryOptions: ref.categories.map((c) => ({ value: c.id, label: c.name })),
        areaOptions: listAreaUnits(ref).map((u) => ({ value: u.id, label: u.name })),
        targetOptions: listHandlingUnits(ref).map((u) => ({ value: u.id, label: u.name })),
        rules: rows.map((r) => ({
          ...r,
          categoryName: r.categoryId === null ? 'Mọi lĩnh vực' : ref.categoryName(r.categoryId),
          areaName: r.areaUnitId === null ? 'Mọi phường, xã' : ref.unitName(r.areaUnitId),
          targetName: r.routeToArea ? 'Phường, xã nơi xảy ra' : ref.unitName(r.targetUnitId),
        })),
      },
      state,
    );
  }

  scope.get('/routing', async (req, reply) => renderRules(req, reply));

  scope.post('/routing', async (req, reply) => {
    const form = ZNewRoutingRuleForm.safeParse(req.body ?? {});
    if (!form.success) return renderRules(req, reply, { status: 400, error: describeFormError(form.error) });
    const ref = await loadReferenceData(db);
    const v = form.data;
    if (v.categoryId !== null && !ref.categories.some((c) => c.id === v.categoryId)) return renderRules(req, reply, { status: 400, error: 'Lĩnh vực không tồn tại.' });
    if (v.areaUnitId !== null && !listAreaUnits(ref).some((u) => u.id === v.areaUnitId)) return renderRules(req, reply, { status: 400, error: 'Phường, xã không tồn tại.' });
    if (v.targetUnitId !== null && !listHandlingUnits(ref).some((u) => u.id === v.targetUnitId)) return renderRules(req, reply, { status: 400, error: 'Đơn vị nhận không tồn tại.' });
    const id = await insertRoutingRule(db, v);
    req.log.info({ ruleId: id }, 'admin created routing rule');
    setFlash(req, 'success', 'Đã thêm quy tắc phân công.');
    return reply.redirect('/console/admin/routing', 303);
  });

  scope.post('/routing/:id', async (req, reply) => {
    const params = ZRowIdParams.safeParse(req.params);
    if (!params.success) return renderRules(req, reply, { status: 404, error: 'Không tìm thấy quy tắc.' });
    const form = ZRoutingRuleUpdateForm.safeParse(req.body ?? {});
    if (!form.success) return renderRules(req, reply, { status: 400, error: describeFormError(form.error) });
    if (!(await updateRoutingRule(db, params.data.id, form.data))) return renderRules(req, reply, { status: 404, error: 'Không tìm thấy quy tắc.' });
    req.log.info({ ruleId: params.data.id, ...form.data }, 'admin updated routing rule');
    setFlash(req, 'success', 'Đã lưu quy tắc phân công.');
    return reply.redirect('/console/admin/routing', 303);
  });

  scope.post('/routing/:id/delete', async (req, reply) => {
    const params = ZRowIdParams.safeParse(req.params);
    if (!params.success || !(await deleteRoutingRule(db, params.data.id))) return renderRules(req, reply, { status: 404, error: 'Không tìm thấy quy tắc.' });
    req.log.info({ ruleId: params.data.id }, 'admin deleted routing rule');
    setFlash(req, 'success', 'Đã xóa quy tắc phân công.');
    return reply.redirect('/console/admin/routing', 303);
  });
}

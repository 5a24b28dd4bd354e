import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../../runtime/db.js';
import { setFlash } from '../../page-renderer.js';
import { listHandlingUnits, loadReferenceData } from '../../reference-data.repo.js';
import { blank, describeFormError, formCheckbox, formText, optionalFormId, optionalFormText, ZRowIdParams } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { insertCategory, listCategoriesForAdmin, updateCategory } from './categories.repo.js';

export const ZCategoryForm = z.object({
  name: formText({ required: 'Vui lòng nhập tên lĩnh vực.', max: 200, tooLong: 'Tên lĩnh vực quá dài (tối đa 200 ký tự).' }),
  description: optionalFormText({ max: 1000, tooLong: 'Mô tả quá dài (tối đa 1.000 ký tự).' }),
  defaultUnitId: optionalFormId('Đơn vị mặc định không hợp lệ.'),
  routeToArea: formCheckbox,
  active: formCheckbox,
  sortOrder: z.preprocess(
    (v) => blank(v) ?? 0,
    z.coerce.number({ error: 'Thứ tự hiển thị phải là số nguyên từ 0 đến 999.' }).int({ error: 'Thứ tự hiển thị phải là số nguyên từ 0 đến 999.' }).min(0).max(999, { error: 'Thứ tự hiển thị phải là số nguyên từ 0 đến 999.' }),
  ),
});

export async function registerCategoryAdminRoutes(scope: FastifyInstance, db: Db): Promise<void> {
  async function renderCategories(req: FastifyRequest, reply: FastifyReply, state: AdminPageState = {}) {
    const [ref, rows] = await Promise.all([loadReferenceData(db), listCategoriesForAdmin(db)]);
    const units = listHandlingUnits(ref);
    const unitOptions = (selected: number | null) => units.map((u) => ({ value: u.id, label: u.name, selected: u.id === selected }));
    return renderAdminPage(
      req,
      reply,
      'admin/categories.hbs',
      'categories',
      'Lĩnh vực',
      {
        newUnitOptions: unitOptions(null),
        categories: rows.map((c) => ({ ...c, unitOptions: unitOptions(c.defaultUnitId), defaultUnitName: ref.unitName(c.defaultUnitId) })),
      },
      state,
    );
  }

  /** The default unit must be a unit that can handle cases; an unknown id is a form error, not a 500. */
  async function checkUnit(unitId: number | undefined): Promise<boolean> {
    if (unitId === undefined) return true;
    return listHandlingUnits(await loadReferenceData(db)).some((u) => u.id === unitId);
  }

  scope.get('/categories', async (req, reply) => renderCategories(req, reply));

  scope.post('/categories', async (req, reply) => {
    const form = ZCategoryForm.safeParse(req.body ?? {});
    if (!form.success) return renderCategories(req, reply, { status: 400, error: describeFormError(form.error) });
    if (!(await checkUnit(form.data.defaultUnitId))) return renderCategories(req, reply, { status: 400, error: 'Đơn vị mặc định không tồn tại.' });
    const id = await insertCategory(db, form.data);
    req.log.info({ categoryId: id }, 'admin created category');
    setFlash(req, 'success', `Đã thêm lĩnh vực "${form.data.name}".`);
    return reply.redirect('/console/admin/categories', 303);
  });

  scope.post('/categories/:id', async (req, reply) => {
    const params = ZRowIdParams.safeParse(req.params);
    if (!params.success) return renderCategories(req, reply, { status: 404, error: 'Không tìm thấy lĩnh vực.' });
    const form = ZCategoryForm.safeParse(req.body ?? {});
    if (!form.success) return renderCategories(req, reply, { status: 400, error: describeFormError(form.error) });
    if (!(await checkUnit(form.data.defaultUnitId))) return renderCategories(req, reply, { status: 400, error: 'Đơn vị mặc định không tồn tại.' });
    if (!(await updateCategory(db, params.data.id, form.data))) return renderCategories(req, reply, { status: 404, error: 'Không tìm thấy lĩnh vực.' });
    req.log.info({ categoryId: params.data.id }, 'admin updated category');
    setFlash(req, 'success', `Đã lưu lĩnh vực "${form.data.name}".`);
    return reply.redirect('/console/admin/categories', 303);
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Db } from '../../../runtime/db.js';
import { describeUnitName } from '../../reference-data.repo.js';
import { setFlash } from '../../page-renderer.js';
import { describeFormError, formCheckbox, ZRowIdParams } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import { listUnitsForAdmin, updateUnitSettings, type UnitKind } from './units.repo.js';

export const UNIT_KIND_LABELS: Record<UnitKind, string> = {
  city: 'Thành phố',
  office: 'Văn phòng',
  department: 'Sở, ngành',
  agency: 'Cơ quan',
  ward: 'Phường',
  commune: 'Xã',
};

export const ASSIGNMENT_STRATEGY_LABELS = {
  least_open: 'Cán bộ đang ít hồ sơ nhất',
  round_robin: 'Lần lượt (xoay vòng)',
} as const;

const ZUnitsQuery = z.object({ kind: z.enum(['city', 'office', 'department', 'agency', 'ward', 'commune']).optional().catch(undefined) });

export const ZUnitSettingsForm = z.object({
  requiresApproval: formCheckbox,
  assignmentStrategy: z.enum(['least_open', 'round_robin'], { error: 'Cách giao việc không hợp lệ.' }),
});

export async function registerUnitAdminRoutes(scope: FastifyInstance, db: Db): Promise<void> {
  async function renderUnits(req: FastifyRequest, reply: FastifyReply, state: AdminPageState = {}) {
    const query = ZUnitsQuery.parse(req.query ?? {});
    const kind = query.kind ?? null;
    const rows = await listUnitsForAdmin(db, kind);
    return renderAdminPage(
      req,
      reply,
      'admin/units.hbs',
      'units',
      'Đơn vị',
      {
        kindOptions: (Object.keys(UNIT_KIND_LABELS) as UnitKind[]).map((k) => ({ value: k, label: UNIT_KIND_LABELS[k], selected: k === kind })),
        units: rows.map((u) => ({
          ...u,
          displayName: describeUnitName(u),
          kindLabel: UNIT_KIND_LABELS[u.kind],
          strategyOptions: (Object.keys(ASSIGNMENT_STRATEGY_LABELS) as Array<keyof typeof ASSIGNMENT_STRATEGY_LABELS>).map((s) => ({
            value: s,
            label: ASSIGNMENT_STRATEGY_LABELS[s],
            selected: s === u.assignmentStrategy,
          })),
        })),
      },
      state,
    );
  }

  scope.get('/units', async (req, reply) => renderUnits(req, reply));

  scope.post('/units/:id', async (req, reply) => {
    const params = ZRowIdParams.safeParse(req.params);
    const form = ZUnitSettingsForm.safeParse(req.body ?? {});
    if (!params.success) return renderUnits(req, reply, { status: 404, error: 'Không tìm thấy đơn vị.' });
    if (!form.success) return renderUnits(req, reply, { status: 400, error: describeFormError(form.error) });
    if (!(await updateUnitSettings(db, params.data.id, form.data))) return renderUnits(req, reply, { status: 404, error: 'Không tìm thấy đơn vị.' });
    req.log.info({ unitId: params.data.id, ...form.data }, 'admin updated unit settings');
    setFlash(req, 'success', 'Đã lưu cài đặt của đơn vị.');
    return reply.redirect('/console/admin/units', 303);
  });
}

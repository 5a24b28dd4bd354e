import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../../runtime/app.js';
import { hashTemporaryPassword } from '../../../runtime/password.js';
import { formatVnDateTime } from '../../../workflows/calendar/working-calendar.js';
import { ROLES, type Role } from '../../../workflows/cases/actor.js';
import { createOfficialLinkCode, unlinkOfficialZalo } from '../../../workflows/officials/link-official.js';
import { describeRoles, ROLE_LABELS } from '../../auth/role-labels.js';
import { requireOfficial, setFlash } from '../../page-renderer.js';
import { loadReferenceData } from '../../reference-data.repo.js';
import { describeFormError, formId, formList, formText, optionalFormId, optionalFormText, ZRowIdParams } from '../admin-forms.js';
import { renderAdminPage, type AdminPageState } from '../admin-page.js';
import {
  findOfficialForAdmin,
  insertOfficial,
  isLoginTaken,
  listOfficialsForAdmin,
  setOfficialActive,
  setOfficialPassword,
  updateOfficialAccess,
} from './officials.repo.js';
import { generateTemporaryPassword } from './temporary-password.js';

const roleList = formList(z.enum(ROLES, { error: 'Vai trò không hợp lệ.' })).pipe(
  z.array(z.enum(ROLES)).min(1, { error: 'Vui lòng chọn ít nhất một vai trò.' }),
);

export const ZCreateOfficialForm = z.object({
  login: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
    z
      .string({ error: 'Vui lòng nhập tên đăng nhập.' })
      .regex(/^[a-z0-9][a-z0-9._-]{2,49}$/, { error: 'Tên đăng nhập gồm 3–50 ký tự: chữ không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.' }),
  ),
  fullName: formText({ required: 'Vui lòng nhập họ và tên.', max: 200, tooLong: 'Họ và tên quá dài (tối đa 200 ký tự).' }),
  title: optionalFormText({ max: 200, tooLong: 'Chức danh quá dài (tối đa 200 ký tự).' }),
  email: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.email({ error: 'Địa chỉ e-mail không hợp lệ.' }).max(200, { error: 'Địa chỉ e-mail quá dài.' }).optional(),
  ),
  phone: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z.string().trim().regex(/^\+?[0-9 .-]{8,20}$/, { error: 'Số điện thoại không hợp lệ.' }).optional(),
  ),
  unitId: formId('Vui lòng chọn đơn vị.'),
  roles: roleList,
});

export const ZOfficialAccessForm = z.object({ unitId: formId('Vui lòng chọn đơn vị.'), roles: roleList });

const ZOfficialsQuery = z.object({ unitId: optionalFormId('Đơn vị không hợp lệ.').catch(undefined) });

/** A one-off page that shows a secret once (temporary password, link code); never cached or redirected to. */
interface SecretNotice {
  heading: string;
  officialName: string;
  label: string;
  secret: string;
  hint: string;
}

export async function registerOfficialAdminRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  async function renderOfficials(req: FastifyRequest, reply: FastifyReply, state: AdminPageState & { form?: Record<string, unknown> } = {}) {
    const query = ZOfficialsQuery.parse(req.query ?? {});
    const unitFilter = query.unitId ?? null;
    const [ref, rows] = await Promise.all([loadReferenceData(db), listOfficialsForAdmin(db, unitFilter)]);
    const me = requireOfficial(req);
    const form = state.form ?? {};
    const chosenRoles = new Set(Array.isArray(form.roles) ? form.roles : form.roles ? [form.roles] : []);
    const unitOptions = (selected: unknown) =>
      ref.units.filter((u) => u.active).map((u) => ({ value: u.id, label: u.name, selected: String(u.id) === String(selected ?? '') }));
    return renderAdminPage(
      req,
      reply,
      'admin/officials.hbs',
      'officials',
      'Cán bộ',
      {
        filterUnitOptions: unitOptions(unitFilter),
        form: { login: form.login ?? '', fullName: form.fullName ?? '', title: form.title ?? '', email: form.email ?? '', phone: form.phone ?? '' },
        createUnitOptions: unitOptions(form.unitId),
        roleOptions: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r], checked: chosenRoles.has(r) })),
        officials: rows.map((o) => ({
          ...o,
          unitName: ref.unitName(o.unitId),
          rolesLabel: describeRoles(o.roles),
          isSelf: o.id === me.id,
          lockedLabel: o.lockedUntil && o.lockedUntil.getTime() > deps.clock.now().getTime() ? `Tạm khóa đến ${formatVnDateTime(o.lockedUntil)}` : null,
          accessUnitOptions: unitOptions(o.unitId),
          accessRoleOptions: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r], checked: o.roles.includes(r) })),
        })),
      },
      state,
    );
  }

  function renderSecret(req: FastifyRequest, reply: FastifyReply, notice: SecretNotice) {
    return renderAdminPage(req, reply, 'admin/secret.hbs', 'officials', notice.heading, { notice });
  }

  async function loadTarget(req: FastifyRequest) {
    const params = ZRowIdParams.safeParse(req.params);
    return params.success ? findOfficialForAdmin(db, params.data.id) : null;
  }

  const notFound = (req: FastifyRequest, reply: FastifyReply) => renderOfficials(req, reply, { status: 404, error: 'Không tìm thấy cán bộ.' });

  scope.get('/officials', async (req, reply) => renderOfficials(req, reply));

  scope.post('/officials', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = ZCreateOfficialForm.safeParse(body);
    if (!form.success) return renderOfficials(req, reply, { status: 400, error: describeFormError(form.error), form: body });
    const ref = await loadReferenceData(db);
    if (!ref.units.some((u) => u.id === form.data.unitId && u.active)) {
      return renderOfficials(req, reply, { status: 400, error: 'Đơn vị không tồn tại hoặc đã ngừng hoạt động.', form: body });
    }
    if (await isLoginTaken(db, form.data.login)) {
      return renderOfficials(req, reply, { status: 409, error: 'Tên đăng nhập đã được sử dụng. Vui lòng chọn tên khác.', form: body });
    }
    const password = generateTemporaryPassword();
    const id = await insertOfficial(db, { ...form.data, passwordHash: await hashTemporaryPassword(password) });
    if (id === null) return renderOfficials(req, reply, { status: 409, error: 'Tên đăng nhập đã được sử dụng. Vui lòng chọn tên khác.', form: body });
    req.log.info({ officialId: id, roles: form.data.roles, unitId: form.data.unitId }, 'admin created official');
    return renderSecret(req, reply, {
      heading: 'Đã tạo tài khoản cán bộ',
      officialName: `${form.data.fullName} (${form.data.login})`,
      label: 'Mật khẩu tạm thời',
      secret: password,
      hint: 'Mật khẩu chỉ hiển thị một lần. Hãy trao trực tiếp cho cán bộ; ở lần đăng nhập đầu tiên cán bộ phải đặt mật khẩu mới của riêng mình.',
    });
  });

  scope.post('/officials/:id/access', async (req, reply) => {
    const target = await loadTarget(req);
    if (!target) return notFound(req, reply);
    const form = ZOfficialAccessForm.safeParse(req.body ?? {});
    if (!form.success) return renderOfficials(req, reply, { status: 400, error: describeFormError(form.error) });
    const ref = await loadReferenceData(db);
    if (!ref.units.some((u) => u.id === form.data.unitId && u.active)) {
      return renderOfficials(req, reply, { status: 400, error: 'Đơn vị không tồn tại hoặc đã ngừng hoạt động.' });
    }
    if (target.id === requireOfficial(req).id && !form.data.roles.includes('admin')) {
      return renderOfficials(req, reply, { status: 422, error: 'Không thể tự bỏ vai trò quản trị của chính mình.' });
    }
    await updateOfficialAccess(db, target.id, { unitId: form.data.unitId, roles: form.data.roles as Role[] });
    req.log.info({ officialId: target.id, roles: form.data.roles, unitId: form.data.unitId }, 'admin changed official access');
    setFlash(req, 'success', `Đã cập nhật đơn vị và vai trò của ${target.fullName}.`);
    return reply.redirect('/console/admin/officials', 303);
  });

  scope.post('/officials/:id/deactivate', async (req, reply) => {
    const target = await loadTarget(req);
    if (!target) return notFound(req, reply);
    if (target.id === requireOfficial(req).id) return renderOfficials(req, reply, { status: 422, error: 'Không thể tự ngừng hoạt động tài khoản của chính mình.' });
    await setOfficialActive(db, target.id, false);
    req.log.info({ officialId: target.id }, 'admin deactivated official');
    setFlash(req, 'success', `Đã ngừng hoạt động tài khoản ${target.login}. Cán bộ bị đăng xuất ngay ở lần thao tác tiếp theo.`);
    return reply.redirect('/console/admin/officials', 303);
  });

  scope.post('/officials/:id/activate', async (req, reply) => {
    const target = await loadTarget(req);
    if (!target) return notFound(req, reply);
    await setOfficialActive(db, target.id, true);
    req.log.info({ officialId: target.id }, 'admin reactivated official');
    setFlash(req, 'success', `Đã mở lại tài khoản ${target.login}.`);
    return reply.redirect('/console/admin/officials', 303);
  });

  scope.post('/officials/:id/reset-password', async (req, reply) => {
    const target = await loadTarget(req);
    if (!target) return notFound(req, reply);
    const password = generateTemporaryPassword();
    await setOfficialPassword(db, target.id, await hashTemporaryPassword(password));
    req.log.info({ officialId: target.id }, 'admin reset official password');
    return renderSecret(req, reply, {
      heading: 'Đã đặt lại mật khẩu',
      officialName: `${target.fullName} (${target.login})`,
      label: 'Mật khẩu tạm thời mới',
      secret: password,
      hint: 'Mật khẩu cũ không còn dùng được và cán bộ đã bị đăng xuất khỏi mọi phiên. Mật khẩu mới chỉ hiển thị một lần; hãy trao trực tiếp cho cán bộ. Khi đăng nhập, cán bộ phải đặt mật khẩu mới của riêng mình.',
    });
  });

  scope.post('/officials/:id/link-code', async (req, reply) => {
    const target = await loadTarget(req);
    if (!target) return notFound(req, reply);
    if (!target.active) return renderOfficials(req, reply, { status: 422, error: 'Tài khoản đã ngừng hoạt động nên không thể liên kết Zalo.' });
    const link = await createOfficialLinkCode(db, target.id, deps.clock.now());
    req.log.info({ officialId: target.id }, 'admin issued zalo link code');
    return renderSecret(req, reply, {
      heading: 'Mã liên kết Zalo',
      officialName: `${target.fullName} (${target.login})`,
      label: 'Mã liên kết (dùng một lần)',
      secret: link.code,
      hint: `Cán bộ mở Zalo, nhắn cho Official Account của thành phố nội dung "liên kết ${link.code}" trước ${formatVnDateTime(link.expiresAt)} (hiệu lực 15 phút).`,
    });
  });

  scope.post('/officials/:id/unlink-zalo', async (req, reply) => {
    const target = await loadTarget(req);
    if (!target) return notFound(req, reply);
    await unlinkOfficialZalo(db, target.id);
    req.log.info({ officialId: target.id }, 'admin unlinked official zalo');
    setFlash(req, 'success', `Đã hủy liên kết Zalo của ${target.fullName}.`);
    return reply.redirect('/console/admin/officials', 303);
  });
}

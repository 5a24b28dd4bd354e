import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../runtime/app.js';
import { hashPassword, passwordStamp, verifyPassword } from '../../runtime/password.js';
import { describeRoles } from '../auth/role-labels.js';
import { isLockedOut, LOGIN_MESSAGES, minutesLeft } from '../auth/login-lockout.js';
import { claimLoginAttempt, findCredentialsById } from '../auth/official-auth.repo.js';
import { ACCOUNT_PATH, INBOX_PATH, readReturnTo } from '../auth/session-auth.js';
import { describeFormError, formCheckbox, formList } from '../admin/admin-forms.js';
import { ensureCsrfToken } from '../csrf.js';
import { renderErrorPage, renderPage, requireOfficial, setFlash } from '../page-renderer.js';
import { loadAccount, replaceOwnPassword, saveNotificationPreferences } from './account.repo.js';
import { checkPasswordChange, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, PASSWORD_MESSAGES } from './password-rules.js';

const CHANNELS = ['zalo', 'email'] as const;
type Channel = (typeof CHANNELS)[number];

export const CHANNEL_LABELS: Record<Channel, string> = { zalo: 'Zalo', email: 'E-mail' };

export const ZPreferencesForm = z.object({
  channels: formList(z.enum(CHANNELS, { error: 'Kênh nhận thông báo không hợp lệ.' })).pipe(
    // Deadlines and new assignments must reach the official somehow: with no channel every reminder would
    // only be flagged in the outbox for someone else to notice.
    z.array(z.enum(CHANNELS)).min(1, { error: 'Vui lòng chọn ít nhất một kênh nhận thông báo (Zalo hoặc e-mail): nhắc hạn và việc được giao cần đến được với anh/chị.' }),
  ),
  digest: formCheckbox,
});

/** A field sent twice or not at all reads as empty: the rules then say which one is missing. */
const passwordField = z.string().catch('');
export const ZPasswordChangeForm = z.object({ currentPassword: passwordField, newPassword: passwordField, newPasswordRepeat: passwordField });

/** Roles whose morning digest has content (daily-digest.ts lists cases of handlers, leaders and dispatchers). */
const DIGEST_ROLES = new Set(['handler', 'unit_leader', 'dispatcher']);

/**
 * Tài khoản của tôi: who the official is in the console, how they want to be notified, and their password.
 * An official still on a password an admin issued sees only the change form (session-auth.ts sends them here).
 */
export async function registerAccountRoutes(scope: FastifyInstance, deps: AppDeps): Promise<void> {
  const db = deps.database.db;

  async function renderAccount(req: FastifyRequest, reply: FastifyReply, state: { status?: number; error?: string; posted?: { channels: string[]; digest: boolean } } = {}) {
    const official = requireOfficial(req);
    const account = await loadAccount(db, official.id);
    if (!account) return renderErrorPage(req, reply, 404, 'Không tìm thấy tài khoản.');
    const channels = new Set<string>(state.posted?.channels ?? account.preferences.channels ?? CHANNELS);
    const digest = state.posted?.digest ?? account.preferences.digest !== false;
    return renderPage(
      req,
      reply,
      'account.hbs',
      {
        formError: state.error ?? null,
        account: { ...account, unitName: official.unitName, rolesLabel: describeRoles(official.roles) },
        channelOptions: CHANNELS.map((c) => ({
          value: c,
          label: CHANNEL_LABELS[c],
          checked: channels.has(c),
          // A channel that cannot reach the official yet: say so next to the box rather than after a missed reminder.
          warning:
            c === 'zalo' && !account.zaloLinked
              ? 'Tài khoản chưa liên kết Zalo: đề nghị quản trị cấp mã liên kết, rồi nhắn mã cho Official Account.'
              : c === 'email' && !account.email
                ? 'Tài khoản chưa có địa chỉ e-mail: đề nghị quản trị bổ sung.'
                : null,
        })),
        digest,
        digestApplies: official.roles.some((r) => DIGEST_ROLES.has(r)),
        passwordChangeRequired: official.passwordChangeRequired,
        passwordRequiredNotice: PASSWORD_MESSAGES.required,
        passwordRules: { min: MIN_PASSWORD_LENGTH, max: MAX_PASSWORD_LENGTH },
      },
      { status: state.status ?? 200, nav: 'account', title: 'Tài khoản của tôi' },
    );
  }

  scope.get('/account', { config: { beforePasswordChange: true } }, async (req, reply) => renderAccount(req, reply));

  scope.post('/account/preferences', async (req, reply) => {
    const official = requireOfficial(req);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const form = ZPreferencesForm.safeParse(body);
    if (!form.success) {
      const raw = body.channels;
      const posted = { channels: (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String), digest: body.digest === 'on' };
      return renderAccount(req, reply, { status: 400, error: describeFormError(form.error), posted });
    }
    const preferences = { channels: [...new Set(form.data.channels)], digest: form.data.digest };
    await saveNotificationPreferences(db, official.id, preferences);
    req.log.info({ officialId: official.id, ...preferences }, 'official changed notification preferences');
    setFlash(req, 'success', 'Đã lưu cách nhận thông báo. Thay đổi áp dụng cho các thông báo gửi từ bây giờ.');
    return reply.redirect('/console/account', 303);
  });

  /**
   * Đổi mật khẩu. The current password is a password attempt like a login's: it is counted (and refused while
   * the account is locked) through the same claimLoginAttempt, so the form is no way round the lockout. The
   * rules are checked first and cost no attempt. On success every session of the official ends and this browser
   * gets a new session id (nothing learnt about the old id is worth anything).
   */
  scope.post('/account/password', { config: { beforePasswordChange: true } }, async (req, reply) => {
    const official = requireOfficial(req);
    const form = ZPasswordChangeForm.parse(req.body ?? {});
    const problem = checkPasswordChange({ login: official.login, ...form });
    // Passwords are never sent back into the form.
    if (problem) return renderAccount(req, reply, { status: 400, error: problem });

    const now = deps.clock.now();
    const credentials = await findCredentialsById(db, official.id);
    if (!credentials) return renderErrorPage(req, reply, 404, 'Không tìm thấy tài khoản.');
    if (credentials.lockedUntil && isLockedOut(credentials.lockedUntil, now)) {
      return renderAccount(req, reply, { status: 423, error: LOGIN_MESSAGES.locked(minutesLeft(credentials.lockedUntil, now)) });
    }
    const attempt = await claimLoginAttempt(db, official.id, now);
    if (!attempt.allowed) {
      if (attempt.lockedUntil && isLockedOut(attempt.lockedUntil, now)) {
        return renderAccount(req, reply, { status: 423, error: LOGIN_MESSAGES.locked(minutesLeft(attempt.lockedUntil, now)) });
      }
      return renderAccount(req, reply, { status: 401, error: PASSWORD_MESSAGES.wrongCurrent });
    }
    if (!(await verifyPassword(form.currentPassword, credentials.passwordHash))) {
      const { lockedUntil } = attempt;
      req.log.info({ officialId: official.id, locked: isLockedOut(lockedUntil, now) }, 'password change refused: wrong current password');
      // This attempt may be the one that locks the account: say so, as the login page does.
      if (lockedUntil && isLockedOut(lockedUntil, now)) return renderAccount(req, reply, { status: 423, error: LOGIN_MESSAGES.locked(minutesLeft(lockedUntil, now)) });
      return renderAccount(req, reply, { status: 401, error: PASSWORD_MESSAGES.wrongCurrent });
    }

    const passwordHash = await hashPassword(form.newPassword);
    const revoked = await replaceOwnPassword(db, official.id, passwordHash);
    const returnTo = readReturnTo(req.session.returnTo);
    await req.session.regenerate();
    req.session.officialId = official.id;
    req.session.passwordStamp = passwordStamp(passwordHash);
    ensureCsrfToken(req);
    setFlash(req, 'success', PASSWORD_MESSAGES.changed);
    req.log.info({ officialId: official.id, wasTemporary: official.passwordChangeRequired, sessionsEnded: revoked }, 'official changed own password');
    // After the change an admin asked for, on to where they were going; otherwise back to the account page.
    return reply.redirect(official.passwordChangeRequired ? (returnTo ?? INBOX_PATH) : ACCOUNT_PATH, 303);
  });
}

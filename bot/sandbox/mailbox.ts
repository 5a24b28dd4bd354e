import { desc, eq } from 'drizzle-orm';
import { outbox } from '../../db/schema.js';
import type { Queryable } from '../../runtime/db.js';
import { escapeHtml } from './escape-html.js';

/**
 * The local mailbox: e-mails the product wrote to the outbox, shown without SMTP. Delivered rows carry
 * the rendered subject and text in `result` (the 'mailbox' transport); others show what is known.
 */

export const MAILBOX_PAGE_SIZE = 200;

export interface MailboxEntry {
  id: number;
  to: string;
  toName?: string;
  subject: string;
  text: string;
  template: string | null;
  status: string;
  channel: string | null;
  createdAt: string;
  sentAt: string | null;
  /** True when subject and text are the rendered mail, false when only the template is known yet. */
  rendered: boolean;
}

const STATUS_LABELS: Record<string, string> = {
  pending: 'Đang chờ gửi',
  sending: 'Đang gửi',
  sent: 'Đã gửi',
  failed: 'Gửi lỗi',
  flagged: 'Cần kiểm tra',
};

function readString(record: Record<string, unknown> | null | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' ? value : undefined;
}

export async function listMailboxEntries(q: Queryable, limit = MAILBOX_PAGE_SIZE): Promise<MailboxEntry[]> {
  const rows = await q.select().from(outbox).where(eq(outbox.kind, 'email')).orderBy(desc(outbox.id)).limit(limit);
  return rows.map((row) => {
    const subject = readString(row.result, 'subject');
    const text = readString(row.result, 'text');
    const toName = readString(row.recipient, 'name');
    const rendered = subject !== undefined && text !== undefined;
    return {
      id: row.id,
      to: readString(row.recipient, 'email') ?? '(không có địa chỉ)',
      ...(toName === undefined ? {} : { toName }),
      subject: subject ?? `Mẫu thư: ${row.template ?? '(không có)'}`,
      text: text ?? `Thư chưa được tạo nội dung (trạng thái: ${STATUS_LABELS[row.status] ?? row.status}).`,
      template: row.template,
      status: row.status,
      channel: row.channel,
      createdAt: row.createdAt.toISOString(),
      sentAt: row.sentAt ? row.sentAt.toISOString() : null,
      rendered,
    };
  });
}

const formatVietnamTime = (iso: string) =>
  new Intl.DateTimeFormat('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'short', timeStyle: 'medium' }).format(new Date(iso));

export function renderMailboxPage(entries: MailboxEntry[]): string {
  const items = entries
    .map(
      (e) => `
      <li class="mail" data-testid="mail-item">
        <header class="mail-header">
          <h2 class="mail-subject" data-testid="mail-subject">${escapeHtml(e.subject)}</h2>
          <span class="mail-status mail-status-${escapeHtml(e.status)}">${escapeHtml(STATUS_LABELS[e.status] ?? e.status)}</span>
        </header>
        <p class="mail-meta">
          Gửi tới: <span data-testid="mail-to">${escapeHtml(e.toName ? `${e.toName} <${e.to}>` : e.to)}</span>
          · Tạo lúc ${escapeHtml(formatVietnamTime(e.createdAt))}${e.sentAt ? ` · Gửi lúc ${escapeHtml(formatVietnamTime(e.sentAt))}` : ''}
          ${e.template ? ` · Mẫu <code>${escapeHtml(e.template)}</code>` : ''}
        </p>
        <pre class="mail-text" data-testid="mail-text">${escapeHtml(e.text)}</pre>
      </li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="vi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Hộp thư giả lập — PAKN Desk</title>
  <link rel="icon" href="/sandbox/assets/avatar.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/sandbox/assets/sandbox.css">
</head>
<body class="mailbox-page">
  <main class="mailbox">
    <h1>Hộp thư giả lập</h1>
    <p class="hint">Thư điện tử hệ thống đã tạo khi chưa cấu hình máy chủ SMTP, mới nhất ở trên (tối đa ${MAILBOX_PAGE_SIZE} thư).
      <a href="/sandbox/mailbox">Tải lại</a> · <a href="/sandbox">Về Zalo sandbox</a></p>
    ${entries.length === 0 ? '<p class="empty" data-testid="mailbox-empty">Chưa có thư nào.</p>' : `<ol class="mail-list" data-testid="mail-list">${items}</ol>`}
  </main>
</body>
</html>`;
}

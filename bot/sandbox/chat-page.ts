import { escapeHtml } from './escape-html.js';
import type { SandboxUser } from './sandbox-store.js';

/**
 * The sandbox chat page: a phone-like Zalo chat with the city's OA. The HTML is only the frame; the
 * chat itself is drawn by /sandbox/assets/sandbox.js with textContent (never innerHTML), because helmet's
 * CSP forbids inline scripts and because every message may carry a citizen's text.
 */

export const DEFAULT_LOCATION = { latitude: 21.0285, longitude: 105.8542 } as const;

function renderUserOption(user: SandboxUser, selectedUserId: string | undefined): string {
  const label = user.label ? `${user.displayName} — ${user.label}` : user.displayName;
  const selected = user.userId === selectedUserId ? ' selected' : '';
  return `<option value="${escapeHtml(user.userId)}" data-display-name="${escapeHtml(user.displayName)}"${selected}>${escapeHtml(label)}</option>`;
}

export function renderChatPage(options: { users: SandboxUser[]; selectedUserId?: string; oaName: string }): string {
  const officials = options.users.filter((u) => u.kind === 'official');
  const citizens = options.users.filter((u) => u.kind === 'citizen');
  const optionsHtml = [
    `<option value="">— Chọn người dùng —</option>`,
    officials.length > 0 ? `<optgroup label="Cán bộ demo">${officials.map((u) => renderUserOption(u, options.selectedUserId)).join('')}</optgroup>` : '',
    `<optgroup label="Người dân" data-group="citizen">${citizens.map((u) => renderUserOption(u, options.selectedUserId)).join('')}</optgroup>`,
  ].join('');

  return `<!doctype html>
<html lang="vi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Zalo sandbox — ${escapeHtml(options.oaName)}</title>
  <link rel="icon" href="/sandbox/assets/avatar.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/sandbox/assets/sandbox.css">
  <script type="module" src="/sandbox/assets/sandbox.js"></script>
</head>
<body class="chat-page">
  <main class="sandbox">
    <section class="sidebar" aria-labelledby="sidebar-title">
      <h1 id="sidebar-title">Zalo sandbox</h1>
      <p class="hint">Zalo giả lập để dùng thử hệ thống mà không cần tài khoản Zalo thật. Tin nhắn ở đây đi qua đúng đường webhook của Zalo.</p>

      <label for="user-picker">Người dùng thử</label>
      <select id="user-picker" data-testid="user-picker">${optionsHtml}</select>

      <form id="new-user-form" class="new-user" data-testid="new-user-form">
        <label for="new-user-name">Tạo người dân mới</label>
        <input id="new-user-name" data-testid="new-user-name" name="displayName" maxlength="60" autocomplete="off"
          placeholder="Họ và tên, ví dụ: Nguyễn Văn An" required>
        <button type="submit" data-testid="new-user-create">Tạo người dùng</button>
      </form>

      <nav class="links" aria-label="Liên kết">
        <a href="/sandbox/mailbox" data-testid="mailbox-link">Hộp thư giả lập</a>
        <a href="/console">Bảng điều khiển cán bộ</a>
      </nav>
    </section>

    <section class="phone" aria-label="Cửa sổ trò chuyện Zalo">
      <header class="phone-header">
        <img src="/sandbox/assets/avatar.svg" alt="" class="oa-avatar" width="40" height="40">
        <div class="phone-title">
          <strong>${escapeHtml(options.oaName)}</strong>
          <span id="chat-user" data-testid="chat-user">Chưa chọn người dùng</span>
        </div>
        <button type="button" id="follow-button" data-testid="follow-button" aria-pressed="false" disabled>Quan tâm</button>
      </header>

      <ol id="chat-log" class="chat-log" data-testid="chat-log" aria-label="Tin nhắn" aria-live="polite"></ol>
      <p id="status" class="status" role="status" data-testid="status"></p>

      <form id="composer" class="composer" data-testid="composer">
        <label for="message-input" class="visually-hidden">Nội dung tin nhắn</label>
        <textarea id="message-input" data-testid="message-input" rows="2" maxlength="5000" placeholder="Nhập tin nhắn…" disabled></textarea>
        <button type="submit" id="send-button" data-testid="send-button" disabled>Gửi</button>
      </form>

      <div class="tools">
        <fieldset class="location">
          <legend>Vị trí</legend>
          <label>Vĩ độ <input id="location-latitude" data-testid="location-latitude" type="number" step="any" min="-90" max="90" value="${DEFAULT_LOCATION.latitude}"></label>
          <label>Kinh độ <input id="location-longitude" data-testid="location-longitude" type="number" step="any" min="-180" max="180" value="${DEFAULT_LOCATION.longitude}"></label>
          <button type="button" id="location-button" data-testid="location-button" disabled>Chia sẻ vị trí</button>
        </fieldset>
        <div class="uploads">
          <label for="image-input">Gửi ảnh</label>
          <input type="file" id="image-input" data-testid="image-input" accept="image/png,image/jpeg,image/gif,image/webp" disabled>
          <label for="file-input">Gửi tệp (PDF, Word)</label>
          <input type="file" id="file-input" data-testid="file-input" accept=".pdf,.doc,.docx,application/pdf" disabled>
        </div>
      </div>
    </section>
  </main>
</body>
</html>`;
}

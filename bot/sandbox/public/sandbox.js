// Zalo sandbox chat page. Every text from users or the OA is put in the page with textContent, never
// innerHTML: the messages are citizens' own words and the OA's answers may quote them.
/* global localStorage */

const POLL_EVERY_MS = 1000;
const STORAGE_KEY = 'pakn-sandbox-user';

const $ = (id) => document.getElementById(id);
const picker = $('user-picker');
const newUserForm = $('new-user-form');
const newUserName = $('new-user-name');
const chatUser = $('chat-user');
const followButton = $('follow-button');
const chatLog = $('chat-log');
const statusLine = $('status');
const composer = $('composer');
const messageInput = $('message-input');
const sendButton = $('send-button');
const locationButton = $('location-button');
const latitudeInput = $('location-latitude');
const longitudeInput = $('location-longitude');
const imageInput = $('image-input');
const fileInput = $('file-input');

const state = { userId: '', follower: false, lastSeq: 0, epoch: '', pollingGeneration: -1, pollTimer: undefined, generation: 0 };

function showStatus(text, isError = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle('error', isError);
}

async function callApi(path, options = {}) {
  const response = await fetch(path, options);
  let body;
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  if (!response.ok) {
    const error = new Error(body.message || `Lỗi ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

const postJson = (path, data) =>
  callApi(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(data) });

/** Only web links and the sandbox's own media may become href/src values. */
function isSafeUrl(url) {
  return typeof url === 'string' && (/^https?:\/\//i.test(url) || url.startsWith('/sandbox/media/'));
}

function element(tag, options = {}) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  if (options.testid) node.dataset.testid = options.testid;
  return node;
}

function formatTime(ms) {
  return new Date(ms).toLocaleTimeString('vi-VN', { hour: '2-digit', minute: '2-digit' });
}

function formatSize(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function setControlsEnabled(enabled) {
  for (const control of [followButton, messageInput, sendButton, locationButton, imageInput, fileInput]) control.disabled = !enabled;
}

function updateFollowButton() {
  followButton.textContent = state.follower ? 'Đã quan tâm' : 'Quan tâm';
  followButton.setAttribute('aria-pressed', String(state.follower));
  followButton.title = state.follower ? 'Bấm để bỏ quan tâm OA' : 'Bấm để quan tâm OA';
}

// ───────────── bubbles ─────────────

function renderButtons(buttons) {
  const list = element('div', { className: 'oa-buttons' });
  for (const button of buttons) {
    const node = element('button', { className: 'oa-button', text: button.title, testid: 'oa-button' });
    node.type = 'button';
    node.dataset.type = button.type;
    node.addEventListener('click', () => void clickOaButton(button));
    list.append(node);
  }
  return list;
}

function renderShareInfoForm(message) {
  const form = element('form', { className: 'share-info', testid: 'share-info-form' });
  const nameLabel = element('label', { text: 'Họ và tên' });
  const nameInput = element('input', { testid: 'share-info-name' });
  nameInput.name = 'name';
  nameInput.required = true;
  nameInput.maxLength = 100;
  nameInput.autocomplete = 'name';
  nameInput.value = chatUser.dataset.displayName || '';
  nameLabel.append(nameInput);
  const phoneLabel = element('label', { text: 'Số điện thoại' });
  const phoneInput = element('input', { testid: 'share-info-phone' });
  phoneInput.name = 'phone';
  phoneInput.type = 'tel';
  phoneInput.required = true;
  phoneInput.maxLength = 20;
  phoneInput.autocomplete = 'tel';
  phoneInput.placeholder = '0912 345 678';
  phoneLabel.append(phoneInput);
  const submit = element('button', { text: 'Chia sẻ thông tin', testid: 'share-info-submit' });
  submit.type = 'submit';
  form.append(nameLabel, phoneLabel, submit);
  const markDone = () => {
    for (const control of [nameInput, phoneInput, submit]) control.disabled = true;
    submit.textContent = 'Đã chia sẻ';
  };
  if (message.answered) markDone();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const ok = await sendEvent({ kind: 'submit_info', name: nameInput.value, phone: phoneInput.value });
    if (ok) markDone();
  });
  return form;
}

function renderTemplate(message) {
  const box = element('div', { className: 'template' });
  box.append(element('p', { className: 'template-title', text: message.channel === 'phone' ? 'Tin nhắn mẫu ZBS (theo số điện thoại)' : 'Tin nhắn mẫu ZBS' }));
  box.append(element('p', { className: 'template-id', text: `Mẫu: ${message.templateId}` }));
  const list = element('dl');
  for (const [key, value] of Object.entries(message.templateData || {})) {
    list.append(element('dt', { text: key }), element('dd', { text: String(value) }));
  }
  box.append(list);
  return box;
}

function renderBody(message) {
  const body = element('div', { className: 'bubble-body' });
  switch (message.kind) {
    case 'text':
      body.append(element('p', { text: message.text }));
      break;
    case 'buttons':
      body.append(element('p', { text: message.text }), renderButtons(message.buttons || []));
      break;
    case 'image': {
      if (isSafeUrl(message.imageUrl)) {
        const image = element('img', { className: 'bubble-image' });
        image.src = message.imageUrl;
        image.alt = message.text || 'Ảnh';
        image.loading = 'lazy';
        body.append(image);
      }
      if (message.text) body.append(element('p', { text: message.text }));
      break;
    }
    case 'file': {
      const link = element('a', { className: 'file-link', text: `Tệp: ${message.fileName}${message.size ? ` (${formatSize(message.size)})` : ''}` });
      if (isSafeUrl(message.fileUrl)) link.href = message.fileUrl;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      body.append(link);
      if (message.text) body.append(element('p', { text: message.text }));
      break;
    }
    case 'request_user_info': {
      if (isSafeUrl(message.imageUrl)) {
        const image = element('img', { className: 'bubble-image' });
        image.src = message.imageUrl;
        image.alt = '';
        body.append(image);
      }
      body.append(element('p', { className: 'card-title', text: message.title }), element('p', { text: message.subtitle }));
      if (message.from === 'oa') body.append(renderShareInfoForm(message));
      break;
    }
    case 'template':
      body.append(renderTemplate(message));
      break;
    case 'location': {
      body.append(element('p', { text: `Vị trí đã chia sẻ: ${message.latitude}, ${message.longitude}` }));
      break;
    }
    case 'submit_info':
      body.append(element('p', { text: `Đã chia sẻ thông tin: ${message.name} — ${message.phone}` }));
      break;
    case 'follow':
      body.append(element('p', { text: 'Bạn đã quan tâm Official Account.' }));
      break;
    case 'unfollow':
      body.append(element('p', { text: 'Bạn đã bỏ quan tâm Official Account.' }));
      break;
    default:
      body.append(element('p', { text: '[Loại tin nhắn chưa hỗ trợ]' }));
  }
  return body;
}

function renderMessage(message) {
  const system = message.kind === 'follow' || message.kind === 'unfollow';
  const side = system ? 'system' : message.from;
  const item = element('li', { className: `bubble bubble-${side}`, testid: `bubble-${side}` });
  item.dataset.seq = String(message.seq);
  item.dataset.kind = message.kind;
  item.append(renderBody(message));
  const time = element('time', { className: 'bubble-time', text: formatTime(message.at) });
  time.dateTime = new Date(message.at).toISOString();
  item.append(time);
  return item;
}

function appendMessages(messages) {
  for (const message of messages) {
    state.lastSeq = Math.max(state.lastSeq, message.seq);
    // An `oa.query.hide` button's payload goes to the OA but is not shown, as in the Zalo app.
    if (message.hidden) continue;
    chatLog.append(renderMessage(message));
  }
  if (messages.length > 0) chatLog.scrollTop = chatLog.scrollHeight;
}

// ───────────── talking to the sandbox ─────────────

async function pollMessages() {
  // One poll at a time per selected user; switching users starts afresh and the old poll bails out.
  if (!state.userId || state.pollingGeneration === state.generation) return;
  const generation = state.generation;
  state.pollingGeneration = generation;
  try {
    const url = `/sandbox/api/messages?userId=${encodeURIComponent(state.userId)}&after=${state.lastSeq}`;
    const data = await callApi(url);
    if (generation !== state.generation) return;
    if (state.epoch && data.epoch !== state.epoch) {
      // The server restarted: its sequence numbers started again, so redraw the chat from the start.
      state.epoch = data.epoch;
      state.lastSeq = 0;
      chatLog.replaceChildren();
      state.pollingGeneration = -1;
      await pollMessages();
      return;
    }
    state.epoch = data.epoch;
    state.follower = Boolean(data.user && data.user.follower);
    updateFollowButton();
    appendMessages(data.messages || []);
  } catch (error) {
    if (generation !== state.generation) return;
    if (error.status === 404) {
      showStatus('Người dùng này không còn trong sandbox (máy chủ đã khởi động lại). Vui lòng chọn hoặc tạo người dùng khác.', true);
      await selectUser('');
      return;
    }
    showStatus(`Không tải được tin nhắn: ${error.message}`, true);
  } finally {
    if (state.pollingGeneration === generation) state.pollingGeneration = -1;
  }
}

function schedulePolling() {
  window.clearTimeout(state.pollTimer);
  const tick = async () => {
    await pollMessages();
    state.pollTimer = window.setTimeout(tick, POLL_EVERY_MS);
  };
  state.pollTimer = window.setTimeout(tick, POLL_EVERY_MS);
}

async function sendEvent(event) {
  if (!state.userId) {
    showStatus('Hãy chọn người dùng trước.', true);
    return false;
  }
  try {
    const result = await postJson('/sandbox/api/events', { userId: state.userId, ...event });
    if (result.ok) showStatus('');
    else showStatus(`Webhook của hệ thống trả lời mã ${result.webhookStatus}.`, true);
    await pollMessages();
    return true;
  } catch (error) {
    showStatus(error.message, true);
    return false;
  }
}

async function clickOaButton(button) {
  if (button.type === 'oa.query.show' || button.type === 'oa.query.hide') {
    await sendEvent({ kind: 'text', text: button.payload, hidden: button.type === 'oa.query.hide' });
  } else if (button.type === 'oa.open.url') {
    if (isSafeUrl(button.payload)) window.open(button.payload, '_blank', 'noopener');
  } else {
    showStatus(`Zalo sẽ mở ứng dụng gọi điện/nhắn tin tới số ${button.payload}.`);
  }
}

async function uploadAndSend(input, kind) {
  const file = input.files && input.files[0];
  input.value = '';
  if (!file) return;
  try {
    showStatus('Đang tải tệp lên…');
    const media = await callApi('/sandbox/api/media', {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name) },
      body: await file.arrayBuffer(),
    });
    await sendEvent({ kind, mediaId: media.mediaId });
  } catch (error) {
    showStatus(error.message, true);
  }
}

async function refreshUsers(selectedUserId) {
  const data = await callApi('/sandbox/api/users');
  const groups = { official: document.createElement('optgroup'), citizen: document.createElement('optgroup') };
  groups.official.label = 'Cán bộ demo';
  groups.citizen.label = 'Người dân';
  for (const user of data.users) {
    const option = document.createElement('option');
    option.value = user.userId;
    option.textContent = user.label ? `${user.displayName} — ${user.label}` : user.displayName;
    option.dataset.displayName = user.displayName;
    groups[user.kind === 'official' ? 'official' : 'citizen'].append(option);
  }
  const placeholder = document.createElement('option');
  placeholder.value = '';
  placeholder.textContent = '— Chọn người dùng —';
  picker.replaceChildren(placeholder, groups.official, groups.citizen);
  picker.value = data.users.some((u) => u.userId === selectedUserId) ? selectedUserId : '';
  return data.users;
}

async function selectUser(userId) {
  state.generation += 1;
  state.userId = userId;
  state.lastSeq = 0;
  state.epoch = '';
  state.follower = false;
  chatLog.replaceChildren();
  picker.value = userId;
  const option = picker.selectedOptions[0];
  const displayName = userId && option ? option.dataset.displayName || option.textContent : '';
  chatUser.textContent = userId ? `Bạn: ${displayName}` : 'Chưa chọn người dùng';
  chatUser.dataset.displayName = displayName;
  setControlsEnabled(Boolean(userId));
  updateFollowButton();
  const url = new URL(window.location.href);
  if (userId) {
    url.searchParams.set('user', userId);
    localStorage.setItem(STORAGE_KEY, userId);
  } else {
    url.searchParams.delete('user');
    localStorage.removeItem(STORAGE_KEY);
  }
  window.history.replaceState(null, '', url);
  if (userId) await pollMessages();
}

// ───────────── wiring ─────────────

picker.addEventListener('change', () => void selectUser(picker.value));

newUserForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const created = await postJson('/sandbox/api/users', { displayName: newUserName.value });
    newUserName.value = '';
    await refreshUsers(created.userId);
    await selectUser(created.userId);
    showStatus(`Đã tạo người dùng ${created.user.displayName}.`);
  } catch (error) {
    showStatus(error.message, true);
  }
});

followButton.addEventListener('click', () => void sendEvent({ kind: state.follower ? 'unfollow' : 'follow' }));

composer.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = messageInput.value.trim();
  if (!text) return;
  sendButton.disabled = true;
  const ok = await sendEvent({ kind: 'text', text });
  sendButton.disabled = false;
  if (ok) messageInput.value = '';
  messageInput.focus();
});

messageInput.addEventListener('keydown', (event) => {
  // Enter sends, Shift+Enter makes a new line, as in the Zalo app.
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});

locationButton.addEventListener('click', () => {
  const latitude = Number(latitudeInput.value);
  const longitude = Number(longitudeInput.value);
  if (!Number.isFinite(latitude) || !Number.isFinite(longitude) || latitudeInput.value === '' || longitudeInput.value === '') {
    showStatus('Vĩ độ và kinh độ phải là số.', true);
    return;
  }
  void sendEvent({ kind: 'location', latitude, longitude });
});

imageInput.addEventListener('change', () => void uploadAndSend(imageInput, 'image'));
fileInput.addEventListener('change', () => void uploadAndSend(fileInput, 'file'));

async function start() {
  const fromUrl = new URL(window.location.href).searchParams.get('user');
  const wanted = fromUrl || localStorage.getItem(STORAGE_KEY) || '';
  try {
    const users = await refreshUsers(wanted);
    await selectUser(users.some((u) => u.userId === wanted) ? wanted : '');
  } catch (error) {
    showStatus(`Không tải được danh sách người dùng: ${error.message}`, true);
  }
  schedulePolling();
}

void start();

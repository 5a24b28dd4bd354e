import { randomBytes } from 'node:crypto';

/**
 * In-memory state of the local fake Zalo: its users, their chats with the OA, uploaded media, pending
 * injected faults and spent refresh tokens. Per process and lost on restart on purpose: the database
 * stays the truth for the product, the sandbox only stands in for Zalo's servers. Every collection is
 * bounded so a demo left running for weeks cannot grow without limit.
 */

export type SandboxUserKind = 'citizen' | 'official';

export interface SandboxUser {
  userId: string;
  displayName: string;
  kind: SandboxUserKind;
  /** Shown next to demo officials in the picker (their role and unit). */
  label?: string;
  /** The app-scoped id Zalo puts in `user_id_by_app`: numeric, like the real one. */
  userIdByApp: string;
  follower: boolean;
  createdAt: number;
  /** Epoch ms of the user's last interaction with the OA (message, follow, shared info). */
  lastInteractionAt?: number;
  sharedInfo?: { name: string; phone: string };
  /** Never evicted: the demo officials must survive however many test users are created. */
  pinned: boolean;
}

export interface SandboxButton {
  title: string;
  type: string;
  /** `oa.query.*`: the text sent back; `oa.open.url`: the link; phone/sms: the number. */
  payload: string;
}

export type SandboxMessageBody =
  | { kind: 'text'; text: string; quoteMessageId?: string; hidden?: boolean }
  | { kind: 'buttons'; text: string; buttons: SandboxButton[] }
  | { kind: 'image'; imageUrl: string; text?: string }
  | { kind: 'file'; fileUrl: string; fileName: string; size?: number; text?: string }
  | { kind: 'request_user_info'; title: string; subtitle: string; imageUrl?: string; answered?: boolean }
  | { kind: 'template'; templateId: string; templateData: Record<string, unknown>; channel: 'uid' | 'phone'; phone?: string }
  | { kind: 'location'; latitude: number; longitude: number }
  | { kind: 'submit_info'; name: string; phone: string }
  | { kind: 'follow' | 'unfollow' };

export type SandboxMessage = SandboxMessageBody & {
  seq: number;
  userId: string;
  from: 'user' | 'oa';
  /** Zalo's message id: `message_id` of an OA send, `msg_id` of a user event. */
  messageId: string;
  at: number;
};

export interface SandboxMedia {
  id: string;
  bytes: Buffer;
  mime: string;
  fileName?: string;
  createdAt: number;
}

export interface SandboxFault {
  code: number;
  message: string;
  /** HTTP status of the faulty answer: Zalo usually says 200 even on errors (ZALO.md §4.1). */
  httpStatus: number;
}

export interface SandboxStoreLimits {
  maxUsers: number;
  maxMessagesPerUser: number;
  maxMediaItems: number;
  maxMediaBytes: number;
  maxSpentRefreshTokens: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxStoreLimits = {
  maxUsers: 1_000,
  maxMessagesPerUser: 500,
  maxMediaItems: 500,
  maxMediaBytes: 64 * 1024 * 1024,
  maxSpentRefreshTokens: 1_000,
};

/** Zalo ids are long numeric strings; only their shape matters to the product. */
function generateNumericId(digits: number): string {
  let out = String(1 + (randomBytes(1)[0]! % 9));
  while (out.length < digits) out += randomBytes(8).readBigUInt64BE().toString().slice(1);
  return out.slice(0, digits);
}

export function generateHexId(length = 20): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

export class SandboxStore {
  private readonly users = new Map<string, SandboxUser>();
  private readonly messages = new Map<string, SandboxMessage[]>();
  private readonly media = new Map<string, SandboxMedia>();
  private mediaBytes = 0;
  private readonly faults: SandboxFault[] = [];
  private readonly spentRefreshTokens = new Set<string>();
  private seq = 0;
  /** Changes on every restart, so an open chat page knows its sequence numbers are stale. */
  readonly epoch = generateHexId(12);

  constructor(
    private readonly now: () => number,
    readonly limits: SandboxStoreLimits = DEFAULT_SANDBOX_LIMITS,
  ) {}

  // ───────────── users ─────────────

  createUser(input: { displayName: string; userId?: string; kind?: SandboxUserKind; label?: string; follower?: boolean; pinned?: boolean }): SandboxUser {
    const user: SandboxUser = {
      userId: input.userId ?? `sandbox-u-${generateHexId(10)}`,
      displayName: input.displayName,
      kind: input.kind ?? 'citizen',
      ...(input.label === undefined ? {} : { label: input.label }),
      userIdByApp: generateNumericId(18),
      follower: input.follower ?? false,
      createdAt: this.now(),
      pinned: input.pinned ?? false,
    };
    this.users.set(user.userId, user);
    this.messages.set(user.userId, this.messages.get(user.userId) ?? []);
    this.evictUsers();
    return user;
  }

  findUser(userId: string): SandboxUser | undefined {
    return this.users.get(userId);
  }

  /**
   * The user the OA API is talking to. After a restart the product still knows users the sandbox
   * forgot (officials, citizens with open cases); their chat is recreated so messages stay visible.
   */
  ensureUser(userId: string): SandboxUser {
    return this.users.get(userId) ?? this.createUser({ userId, displayName: `Người dùng ${userId.slice(-6)}` });
  }

  /** Pinned (demo officials) first, then the most recently active. */
  listUsers(): SandboxUser[] {
    return [...this.users.values()].sort((a, b) => {
      if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
      return (b.lastInteractionAt ?? b.createdAt) - (a.lastInteractionAt ?? a.createdAt);
    });
  }

  setFollower(userId: string, follower: boolean): void {
    const user = this.ensureUser(userId);
    user.follower = follower;
  }

  recordInteraction(userId: string): void {
    this.ensureUser(userId).lastInteractionAt = this.now();
  }

  setSharedInfo(userId: string, info: { name: string; phone: string }): void {
    this.ensureUser(userId).sharedInfo = info;
  }

  /** The chat a ZBS template by phone lands in: the user who shared that phone, else a chat of its own. */
  findUserByPhone(phone: string): SandboxUser | undefined {
    return [...this.users.values()].find((u) => u.sharedInfo?.phone === phone);
  }

  private evictUsers(): void {
    if (this.users.size <= this.limits.maxUsers) return;
    const evictable = [...this.users.values()]
      .filter((u) => !u.pinned)
      .sort((a, b) => (a.lastInteractionAt ?? a.createdAt) - (b.lastInteractionAt ?? b.createdAt));
    for (const user of evictable) {
      if (this.users.size <= this.limits.maxUsers) break;
      this.users.delete(user.userId);
      this.messages.delete(user.userId);
    }
  }

  // ───────────── messages ─────────────

  addMessage(input: SandboxMessageBody & { userId: string; from: 'user' | 'oa'; messageId?: string }): SandboxMessage {
    this.ensureUser(input.userId);
    const message = { ...input, seq: ++this.seq, messageId: input.messageId ?? generateHexId(20), at: this.now() } as SandboxMessage;
    const chat = this.messages.get(input.userId) ?? [];
    chat.push(message);
    if (chat.length > this.limits.maxMessagesPerUser) chat.splice(0, chat.length - this.limits.maxMessagesPerUser);
    this.messages.set(input.userId, chat);
    return message;
  }

  /** The user answered the OA's request_user_info cards: the page shows them as done. */
  markInfoRequestsAnswered(userId: string): void {
    for (const message of this.messages.get(userId) ?? []) {
      if (message.kind === 'request_user_info') message.answered = true;
    }
  }

  /** Messages of one chat in order, optionally only those after a sequence number the page already has. */
  listMessages(userId: string, afterSeq = 0): SandboxMessage[] {
    return (this.messages.get(userId) ?? []).filter((m) => m.seq > afterSeq);
  }

  findMessage(userId: string, messageId: string): SandboxMessage | undefined {
    return this.messages.get(userId)?.find((m) => m.messageId === messageId);
  }

  get lastSeq(): number {
    return this.seq;
  }

  // ───────────── media ─────────────

  addMedia(input: { bytes: Buffer; mime: string; fileName?: string; id?: string }): SandboxMedia {
    const item: SandboxMedia = {
      id: input.id ?? generateHexId(24),
      bytes: input.bytes,
      mime: input.mime,
      ...(input.fileName === undefined ? {} : { fileName: input.fileName }),
      createdAt: this.now(),
    };
    this.media.set(item.id, item);
    this.mediaBytes += item.bytes.length;
    // Map iteration follows insertion order, so the oldest uploads go first.
    for (const [id, old] of this.media) {
      if (this.media.size <= this.limits.maxMediaItems && this.mediaBytes <= this.limits.maxMediaBytes) break;
      if (id === item.id) break;
      this.media.delete(id);
      this.mediaBytes -= old.bytes.length;
    }
    return item;
  }

  findMedia(id: string): SandboxMedia | undefined {
    return this.media.get(id);
  }

  // ───────────── faults ─────────────

  injectFault(fault: SandboxFault, times: number): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  /** The next send call's injected error, consumed by the call. */
  takeFault(): SandboxFault | undefined {
    return this.faults.shift();
  }

  get pendingFaults(): number {
    return this.faults.length;
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  // ───────────── OAuth ─────────────

  /**
   * Marks a refresh token used. Returns false when it was used before: Zalo's refresh tokens are
   * single use (ZALO.md §6), and a token store that reuses one must see the failure here, not in
   * production. Unknown tokens are accepted, because the sandbox forgets what it issued on restart.
   */
  spendRefreshToken(token: string): boolean {
    if (this.spentRefreshTokens.has(token)) return false;
    this.spentRefreshTokens.add(token);
    if (this.spentRefreshTokens.size > this.limits.maxSpentRefreshTokens) {
      const oldest = this.spentRefreshTokens.values().next().value;
      if (oldest !== undefined) this.spentRefreshTokens.delete(oldest);
    }
    return true;
  }
}

import type { WorkingCalendar } from '../calendar/working-calendar.js';
import type { CasePriority, SlaRule } from '../sla/sla-rules.js';
import type { Actor, Role } from './actor.js';
import type { CaseError } from './case-errors.js';
import type { CaseRating, CaseStatus } from './case-status.js';

/** The fields of a case that the state machine reads or writes; the repo maps them to and from `cases`. */
export interface CaseState {
  id: number;
  code: string;
  status: CaseStatus;
  version: number;
  channel: 'zalo' | 'console' | 'api';
  contactId: number | null;
  contactKind: 'citizen' | 'business';
  categoryId: number | null;
  priority: CasePriority;
  description: string;
  address: string | null;
  areaUnitId: number | null;
  responsibleUnitId: number | null;
  /** Co-handling units (case_units role 'co'): they see the case and add notes; the lead answers. */
  coUnitIds: number[];
  assigneeId: number | null;
  mergedIntoId: number | null;
  refusalReason: string | null;
  receivedAt: Date;
  triageDueAt: Date | null;
  acceptDueAt: Date | null;
  answerDueAt: Date | null;
  pausedAt: Date | null;
  extensionCount: number;
  answerText: string | null;
  answerDraftedBy: number | null;
  answerApprovedBy: number | null;
  answeredAt: Date | null;
  answeredOnTime: boolean | null;
  closedAt: Date | null;
  rating: CaseRating | null;
  reopenCount: number;
  publishedAt: Date | null;
  publicTitle: string | null;
  publicQuestion: string | null;
  publicAnswer: string | null;
}

export const CASE_ACTIONS = [
  'received',
  'assigned',
  'accepted',
  'handler_assigned',
  'returned',
  'refused',
  'merged',
  'recategorised',
  'transferred',
  'info_requested',
  'info_provided',
  'answer_drafted',
  'answered',
  'approved',
  'sent_back',
  'rated',
  'reopened',
  'auto_closed',
  'extension_requested',
  'extension_granted',
  'note_added',
  'published',
] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** One row of case_events before it has a case id (a new case gets its id on insert). */
export interface CaseEventDraft {
  action: CaseAction;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus | null;
  actorType: Actor['type'];
  actorId: string | null;
  payload: Record<string, unknown>;
  at: Date;
}

/** Who a notification is for; the delivery job resolves people, channels and the Zalo window. */
export type NotificationRecipient =
  | { type: 'contact'; contactId: number }
  | { type: 'official'; officialId: number }
  | { type: 'unit'; unitId: number; roles: Role[] }
  | { type: 'dispatchers' };

/**
 * A message to send, decided by the domain, sent by the delivery job. `template` is a logical name
 * (e.g. 'case-answered'); the delivery job picks templates/zalo/<name> or templates/email/<name>.
 */
export interface NotificationIntent {
  /** Idempotency key (outbox.key): the same change never produces two messages. */
  key: string;
  to: NotificationRecipient;
  template: string;
  data: Record<string, unknown>;
}

export interface UnitInfo {
  id: number;
  name: string;
  requiresApproval: boolean;
  active: boolean;
}

export interface OfficialInfo {
  id: number;
  unitId: number;
  roles: Role[];
  active: boolean;
}

export interface CategoryInfo {
  id: number;
  name: string;
  active: boolean;
}

export interface MergeTargetInfo {
  id: number;
  code: string;
  status: CaseStatus;
}

/** Cases merged into this one: their senders get this case's answer too. */
export interface MergedCaseInfo {
  id: number;
  code: string;
  contactId: number | null;
}

/**
 * What transition() needs to know beyond the case itself, loaded by the service for the command at hand.
 * Plain arrays, so tests build it by hand.
 */
export interface TransitionContext {
  calendar: WorkingCalendar;
  slaRules: SlaRule[];
  /** The case's responsible unit, co-units and any unit named by the command. */
  units: readonly UnitInfo[];
  /** Officials named by the command (handler to assign). */
  officials?: readonly OfficialInfo[];
  /** For accept without a handlerId: the pick of the unit's assignment strategy. */
  autoHandlerId?: number | null;
  mergeTarget?: MergeTargetInfo | null;
  /** The category a recategorise command names (null when it does not exist). */
  category?: CategoryInfo | null;
  mergedCases?: readonly MergedCaseInfo[];
  /** Names to mask when publishing (the contact's full and display names). */
  contactNames?: readonly string[];
}

export type TransitionResult =
  | { ok: true; next: CaseState; events: CaseEventDraft[]; intents: NotificationIntent[] }
  | { ok: false; error: CaseError };

import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const createdAt = () => ts('created_at').notNull().defaultNow();

// ───────────────────────────── organisation ─────────────────────────────

export const unitKind = pgEnum('unit_kind', ['city', 'office', 'department', 'agency', 'ward', 'commune']);

/** Units form a tree: the city, its departments and agencies, and the 126 wards/communes. */
export const units = pgTable(
  'units',
  {
    id: serial('id').primaryKey(),
    /** Our stable code: GSO 5-digit code for wards/communes, a mnemonic for departments (e.g. SXD). */
    code: text('code').notNull(),
    name: text('name').notNull(),
    fullName: text('full_name').notNull(),
    kind: unitKind('kind').notNull(),
    parentId: integer('parent_id'),
    /** GSO codes are reused across reforms, so every unit carries the date it took effect. */
    effectiveFrom: date('effective_from').notNull(),
    effectiveTo: date('effective_to'),
    requiresApproval: boolean('requires_approval').notNull().default(true),
    assignmentStrategy: text('assignment_strategy').$type<'round_robin' | 'least_open'>().notNull().default('least_open'),
    active: boolean('active').notNull().default(true),
    meta: jsonb('meta').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [uniqueIndex('units_code_effective_uq').on(t.code, t.effectiveFrom), index('units_parent_idx').on(t.parentId)],
);

/** Pre-2025 wards/communes and the new unit(s) each became part of, to understand old addresses. */
export const legacyUnits = pgTable(
  'legacy_units',
  {
    id: serial('id').primaryKey(),
    oldCode: text('old_code').notNull(),
    oldFullName: text('old_full_name').notNull(),
    unitId: integer('unit_id').notNull(),
    share: text('share').$type<'full' | 'partial'>().notNull(),
    effectiveTo: date('effective_to').notNull(),
  },
  (t) => [uniqueIndex('legacy_units_uq').on(t.oldCode, t.unitId), index('legacy_units_unit_idx').on(t.unitId)],
);

export const officialRole = pgEnum('official_role', ['dispatcher', 'handler', 'unit_leader', 'admin', 'viewer']);

export const officials = pgTable(
  'officials',
  {
    id: serial('id').primaryKey(),
    unitId: integer('unit_id').notNull(),
    login: text('login').notNull(),
    fullName: text('full_name').notNull(),
    title: text('title'),
    email: text('email'),
    phone: text('phone'),
    zaloUserId: text('zalo_user_id'),
    passwordHash: text('password_hash'),
    roles: officialRole('roles').array().notNull().default(sql`'{}'::official_role[]`),
    active: boolean('active').notNull().default(true),
    onLeaveUntil: date('on_leave_until'),
    isDemo: boolean('is_demo').notNull().default(false),
    preferences: jsonb('preferences')
      .$type<{ channels?: Array<'zalo' | 'email'>; digest?: boolean }>()
      .notNull()
      .default({}),
    failedLogins: integer('failed_logins').notNull().default(0),
    lockedUntil: ts('locked_until'),
    lastAssignedAt: ts('last_assigned_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('officials_login_uq').on(t.login),
    uniqueIndex('officials_zalo_uq').on(t.zaloUserId),
    index('officials_unit_idx').on(t.unitId),
  ],
);

/** One-time codes an official sends to the OA to link their Zalo account. */
export const officialLinkCodes = pgTable('official_link_codes', {
  code: text('code').primaryKey(),
  officialId: integer('official_id').notNull(),
  expiresAt: ts('expires_at').notNull(),
  usedAt: ts('used_at'),
});

export const apiTokens = pgTable(
  'api_tokens',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull(),
    officialId: integer('official_id'),
    scopes: text('scopes').array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    lastUsedAt: ts('last_used_at'),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_tokens_hash_uq').on(t.tokenHash)],
);

export const sessions = pgTable(
  'sessions',
  {
    sid: text('sid').primaryKey(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [index('sessions_expires_idx').on(t.expiresAt)],
);

// ───────────────────────────── citizens ─────────────────────────────

export const contactKind = pgEnum('contact_kind', ['citizen', 'business']);

export const contacts = pgTable(
  'contacts',
  {
    id: serial('id').primaryKey(),
    kind: contactKind('kind').notNull().default('citizen'),
    zaloUserId: text('zalo_user_id'),
    displayName: text('display_name'),
    fullName: text('full_name'),
    phone: text('phone'),
    email: text('email'),
    address: text('address'),
    companyName: text('company_name'),
    taxCode: text('tax_code'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [uniqueIndex('contacts_zalo_uq').on(t.zaloUserId), index('contacts_phone_idx').on(t.phone)],
);

/** Consent is recorded per purpose with the exact text version shown (Law 91/2025, ND 356/2025). */
export const consents = pgTable('consents', {
  id: serial('id').primaryKey(),
  contactId: integer('contact_id').notNull(),
  purpose: text('purpose').notNull(),
  textVersion: text('text_version').notNull(),
  channel: text('channel').notNull(),
  grantedAt: ts('granted_at').notNull(),
  withdrawnAt: ts('withdrawn_at'),
});

/** Every Zalo user the OA has heard from: the 7-day consultation window is measured from here. */
export const zaloUsers = pgTable('zalo_users', {
  zaloUserId: text('zalo_user_id').primaryKey(),
  displayName: text('display_name'),
  isFollower: boolean('is_follower').notNull().default(false),
  lastInteractionAt: ts('last_interaction_at'),
  createdAt: createdAt(),
});

/** Per-user dialog state of the bot. */
export const conversations = pgTable('conversations', {
  zaloUserId: text('zalo_user_id').primaryKey(),
  dialog: text('dialog'),
  step: text('step'),
  state: jsonb('state').$type<Record<string, unknown>>().notNull().default({}),
  updatedAt: ts('updated_at').notNull(),
  expiresAt: ts('expires_at'),
});

// ───────────────────────────── reference data ─────────────────────────────

export const categories = pgTable(
  'categories',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    defaultUnitId: integer('default_unit_id'),
    /** Where the default responsible unit is the ward/commune of the place rather than a department. */
    routeToArea: boolean('route_to_area').notNull().default(false),
    sortOrder: integer('sort_order').notNull().default(0),
    active: boolean('active').notNull().default(true),
  },
  (t) => [uniqueIndex('categories_code_uq').on(t.code)],
);

export const routingRules = pgTable(
  'routing_rules',
  {
    id: serial('id').primaryKey(),
    categoryId: integer('category_id'),
    areaUnitId: integer('area_unit_id'),
    /** null with routeToArea = the case's own ward/commune. */
    targetUnitId: integer('target_unit_id'),
    routeToArea: boolean('route_to_area').notNull().default(false),
    priority: integer('priority').notNull().default(100),
    active: boolean('active').notNull().default(true),
    note: text('note'),
  },
  (t) => [index('routing_rules_lookup_idx').on(t.categoryId, t.areaUnitId)],
);

export const slaStep = pgEnum('sla_step', ['triage', 'accept', 'answer', 'approval']);
export const slaUnit = pgEnum('sla_unit', ['working_days', 'working_hours']);
export const casePriority = pgEnum('case_priority', ['normal', 'urgent', 'complex']);

export const slaRules = pgTable(
  'sla_rules',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    step: slaStep('step').notNull(),
    categoryId: integer('category_id'),
    priority: casePriority('priority'),
    limitValue: integer('limit_value').notNull(),
    limitUnit: slaUnit('limit_unit').notNull(),
    startEvent: text('start_event').notNull(),
    legalSource: text('legal_source').notNull(),
    active: boolean('active').notNull().default(true),
  },
  (t) => [uniqueIndex('sla_rules_code_uq').on(t.code)],
);

export const calendarDays = pgTable('calendar_days', {
  day: date('day').primaryKey(),
  working: boolean('working').notNull(),
  reason: text('reason').notNull(),
  source: text('source'),
});

/** Editable overrides of the file templates in templates/ (admin, with live preview). */
export const templateOverrides = pgTable('template_overrides', {
  name: text('name').primaryKey(),
  body: text('body').notNull(),
  updatedBy: integer('updated_by'),
  updatedAt: ts('updated_at').notNull(),
});

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull(),
});

// ───────────────────────────── cases ─────────────────────────────

export const caseStatus = pgEnum('case_status', [
  'received',
  'assigned',
  'in_progress',
  'awaiting_info',
  'pending_approval',
  'answered',
  'closed',
  'refused',
  'merged',
]);

export const caseRating = pgEnum('case_rating', ['hai_long', 'chap_nhan', 'chua_hai_long']);

export const caseCounters = pgTable('case_counters', {
  year: integer('year').primaryKey(),
  last: integer('last').notNull(),
});

export const cases = pgTable(
  'cases',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    code: text('code').notNull(),
    status: caseStatus('status').notNull().default('received'),
    version: integer('version').notNull().default(1),
    channel: text('channel').$type<'zalo' | 'console' | 'api'>().notNull(),
    contactKind: contactKind('contact_kind').notNull().default('citizen'),
    contactId: integer('contact_id'),
    categoryId: integer('category_id'),
    priority: casePriority('priority').notNull().default('normal'),
    title: text('title'),
    description: text('description').notNull(),
    address: text('address'),
    areaUnitId: integer('area_unit_id'),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    responsibleUnitId: integer('responsible_unit_id'),
    assigneeId: integer('assignee_id'),
    mergedIntoId: bigint('merged_into_id', { mode: 'number' }),
    refusalReason: text('refusal_reason'),
    receivedAt: ts('received_at').notNull(),
    triageDueAt: ts('triage_due_at'),
    acceptDueAt: ts('accept_due_at'),
    answerDueAt: ts('answer_due_at'),
    /** Set while awaiting_info: the SLA clock stands still from here. */
    pausedAt: ts('paused_at'),
    extensionCount: integer('extension_count').notNull().default(0),
    answerText: text('answer_text'),
    answerDraftedBy: integer('answer_drafted_by'),
    answerApprovedBy: integer('answer_approved_by'),
    answeredAt: ts('answered_at'),
    /** Frozen at answer time, so KPIs read stored facts. */
    answeredOnTime: boolean('answered_on_time'),
    closedAt: ts('closed_at'),
    rating: caseRating('rating'),
    reopenCount: integer('reopen_count').notNull().default(0),
    publishedAt: ts('published_at'),
    publicTitle: text('public_title'),
    publicQuestion: text('public_question'),
    publicAnswer: text('public_answer'),
    /** Lower-case, accent-free text of code, description and contact name for search. */
    searchText: text('search_text').notNull().default(''),
    consentVersion: text('consent_version'),
    createdAt: createdAt(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('cases_code_uq').on(t.code),
    index('cases_unit_status_idx').on(t.responsibleUnitId, t.status, t.id),
    index('cases_assignee_idx').on(t.assigneeId, t.status),
    index('cases_status_idx').on(t.status, t.id),
    index('cases_contact_idx').on(t.contactId),
    index('cases_answer_due_idx').on(t.answerDueAt),
    index('cases_published_idx').on(t.publishedAt),
    // Lists filtered by a period run in receipt order on this index (workflows/cases/list-cases.ts): ordered by
    // id, reaching an old month meant scanning every newer case first.
    index('cases_received_idx').on(t.receivedAt, t.id),
    // The nudge sweep and the digest read "open cases due by X" every minute. Partial indexes hold only cases
    // whose clock runs, so the scan is bounded by due dates of open cases, never by the closed history.
    index('cases_running_answer_due_idx')
      .on(t.answerDueAt)
      .where(sql`status in ('received', 'assigned', 'in_progress', 'pending_approval')`),
    index('cases_received_triage_due_idx').on(t.triageDueAt).where(sql`status = 'received'`),
    index('cases_assigned_accept_due_idx').on(t.acceptDueAt).where(sql`status = 'assigned'`),
    // The console search is "every word is a substring of search_text" (LIKE '%word%'): without a trigram index
    // a rare word or a case code scans every case (seconds at 1M). Its migration creates it only where the
    // pg_trgm extension can be created (PostgreSQL servers; embedded PGlite skips it) and raises the column's
    // statistics target to 1000, so the planner can tell a 2 % word from a 0.01 % one and keeps the id-ordered
    // scan for common words.
    index('cases_search_trgm_idx').using('gin', t.searchText.op('gin_trgm_ops')),
  ],
);

/** Lead and co-handling units of a case (co-handlers add notes; the lead answers). */
export const caseUnits = pgTable(
  'case_units',
  {
    caseId: bigint('case_id', { mode: 'number' }).notNull(),
    unitId: integer('unit_id').notNull(),
    role: text('role').$type<'lead' | 'co'>().notNull(),
    addedAt: ts('added_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caseId, t.unitId] }),
    index('case_units_unit_idx').on(t.unitId),
    // The cases a unit co-handles, newest first, from the index alone (workflows/cases/list-cases.ts scope).
    index('case_units_unit_role_case_idx').on(t.unitId, t.role, t.caseId),
  ],
);

/** Append-only audit trail: who did what, when, from which status to which. */
export const caseEvents = pgTable(
  'case_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: bigint('case_id', { mode: 'number' }).notNull(),
    actorType: text('actor_type').$type<'official' | 'citizen' | 'system'>().notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    fromStatus: caseStatus('from_status'),
    toStatus: caseStatus('to_status'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    at: ts('at').notNull(),
  },
  (t) => [
    index('case_events_case_idx').on(t.caseId, t.id),
    // When each open case entered its current step (stepStartedAt in workflows/nudges/nudge.repo.ts, every sweep):
    // status changes and transfers only, read from the index alone instead of every event row of ~10,000 cases.
    index('case_events_step_start_idx')
      .on(t.caseId, t.toStatus, t.at)
      .where(sql`from_status is distinct from to_status or action = 'transferred'`),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: bigint('case_id', { mode: 'number' }),
    contactId: integer('contact_id'),
    officialId: integer('official_id'),
    zaloUserId: text('zalo_user_id'),
    direction: text('direction').$type<'in' | 'out'>().notNull(),
    channel: text('channel').$type<'zalo' | 'zbs' | 'email' | 'console' | 'internal'>().notNull(),
    kind: text('kind').notNull().default('text'),
    text: text('text'),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull().default({}),
    zaloMsgId: text('zalo_msg_id'),
    deliveryStatus: text('delivery_status')
      .$type<'received' | 'pending' | 'sent' | 'delivered' | 'seen' | 'failed' | 'flagged'>()
      .notNull(),
    error: text('error'),
    outboxId: bigint('outbox_id', { mode: 'number' }),
    at: ts('at').notNull(),
  },
  (t) => [
    index('messages_case_idx').on(t.caseId, t.id),
    index('messages_zalo_user_idx').on(t.zaloUserId, t.id),
    index('messages_zalo_msg_idx').on(t.zaloMsgId),
    // The messages of an outbox row, looked up by every Zalo delivery (bot/delivery/zalo-sender.ts): without it a
    // scan of the whole table per message sent.
    index('messages_outbox_idx').on(t.outboxId).where(sql`outbox_id is not null`),
  ],
);

export const attachments = pgTable(
  'attachments',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    caseId: bigint('case_id', { mode: 'number' }),
    messageId: bigint('message_id', { mode: 'number' }),
    zaloUserId: text('zalo_user_id'),
    kind: text('kind').notNull(),
    sourceUrl: text('source_url'),
    storagePath: text('storage_path'),
    fileName: text('file_name'),
    mime: text('mime'),
    size: integer('size'),
    sha256: text('sha256'),
    status: text('status').$type<'pending' | 'stored' | 'rejected' | 'failed'>().notNull().default('pending'),
    error: text('error'),
    createdAt: createdAt(),
  },
  (t) => [index('attachments_case_idx').on(t.caseId), index('attachments_user_idx').on(t.zaloUserId)],
);

/** Learned category models (trained on the city's own closed cases). */
export const classifierModels = pgTable('classifier_models', {
  id: serial('id').primaryKey(),
  trainedAt: ts('trained_at').notNull(),
  model: jsonb('model').notNull(),
  metrics: jsonb('metrics').$type<Record<string, number>>().notNull().default({}),
});

// ───────────────────────────── transport ─────────────────────────────

/** Raw webhook log: stored before Zalo gets its 200, processed by a job. */
export const inboundEvents = pgTable(
  'inbound_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source').notNull().default('zalo'),
    dedupeKey: text('dedupe_key').notNull(),
    eventName: text('event_name').notNull(),
    senderId: text('sender_id'),
    raw: text('raw').notNull(),
    receivedAt: ts('received_at').notNull(),
    status: text('status').$type<'pending' | 'processing' | 'done' | 'ignored' | 'failed'>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    processedAt: ts('processed_at'),
    error: text('error'),
  },
  (t) => [
    uniqueIndex('inbound_events_key_uq').on(t.source, t.dedupeKey),
    index('inbound_events_pending_idx').on(t.status, t.id),
    index('inbound_events_sender_idx').on(t.senderId, t.id),
  ],
);

/** Messages to send, written in the same transaction as the change that caused them. */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Idempotency key: a second intent with the same key is the same message. */
    key: text('key').notNull(),
    kind: text('kind').notNull(),
    recipient: jsonb('recipient').$type<Record<string, unknown>>().notNull(),
    template: text('template'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    caseId: bigint('case_id', { mode: 'number' }),
    status: text('status').$type<'pending' | 'sending' | 'sent' | 'failed' | 'flagged'>().notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    availableAt: ts('available_at').notNull(),
    claimedAt: ts('claimed_at'),
    sentAt: ts('sent_at'),
    channel: text('channel'),
    lastError: text('last_error'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('outbox_key_uq').on(t.key),
    index('outbox_pending_idx').on(t.status, t.availableAt),
    index('outbox_case_idx').on(t.caseId),
  ],
);

export const zaloTokens = pgTable('zalo_tokens', {
  oaId: text('oa_id').primaryKey(),
  accessTokenEnc: text('access_token_enc').notNull(),
  refreshTokenEnc: text('refresh_token_enc').notNull(),
  accessExpiresAt: ts('access_expires_at').notNull(),
  refreshIssuedAt: ts('refresh_issued_at').notNull(),
  status: text('status').$type<'ok' | 'dead'>().notNull().default('ok'),
  lastError: text('last_error'),
  updatedAt: ts('updated_at').notNull(),
});

// ───────────────────────────── nudges and reports ─────────────────────────────

export const nudgeRules = pgTable(
  'nudge_rules',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    step: slaStep('step').notNull(),
    /** Negative = working days before the due date, 0 = the due day's morning, positive = days overdue. */
    offsetWorkingDays: integer('offset_working_days').notNull(),
    repeatDaily: boolean('repeat_daily').notNull().default(false),
    target: text('target').$type<'assignee' | 'unit_leader' | 'dispatcher'>().notNull(),
    active: boolean('active').notNull().default(true),
  },
  (t) => [uniqueIndex('nudge_rules_code_uq').on(t.code)],
);

export const reportFrequency = pgEnum('report_frequency', [
  'monthly',
  'quarterly',
  'six_month',
  'nine_month',
  'annual',
  'ad_hoc',
]);

export const reportingRegimes = pgTable(
  'reporting_regimes',
  {
    id: serial('id').primaryKey(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    legalBasis: text('legal_basis').notNull(),
    frequency: reportFrequency('frequency').notNull(),
    cutoffRule: jsonb('cutoff_rule').$type<Record<string, unknown>>().notNull().default({}),
    deadlineRule: jsonb('deadline_rule').$type<Record<string, unknown>>().notNull(),
    obligedUnitKinds: text('obliged_unit_kinds').array().notNull().default(sql`'{}'::text[]`),
    obligedUnitIds: integer('obliged_unit_ids').array().notNull().default(sql`'{}'::integer[]`),
    receivingUnitId: integer('receiving_unit_id').notNull(),
    selfSubmit: boolean('self_submit').notNull().default(true),
    active: boolean('active').notNull().default(true),
    /** Raised by every edit of the rules: an edit made on an older version is refused, not silently overwritten. */
    version: integer('version').notNull().default(1),
  },
  (t) => [uniqueIndex('reporting_regimes_code_uq').on(t.code)],
);

export const reportStatus = pgEnum('report_status', ['chua_nop', 'da_nop', 'nop_muon', 'tra_lai']);

export const reportObligations = pgTable(
  'report_obligations',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    regimeId: integer('regime_id').notNull(),
    unitId: integer('unit_id').notNull(),
    periodKey: text('period_key').notNull(),
    periodStart: date('period_start').notNull(),
    periodEnd: date('period_end').notNull(),
    dueAt: ts('due_at').notNull(),
    status: reportStatus('status').notNull().default('chua_nop'),
    submittedAt: ts('submitted_at'),
    submittedBy: text('submitted_by'),
    externalRef: text('external_ref'),
    /** The receiving unit's last word on this report: an ad hoc request's text, then a return's reason. */
    note: text('note'),
    /** What an ad hoc (đột xuất) request asked for, kept whatever happens to the report after. */
    requestNote: text('request_note'),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('report_obligations_uq').on(t.regimeId, t.unitId, t.periodKey),
    index('report_obligations_due_idx').on(t.status, t.dueAt),
    index('report_obligations_unit_idx').on(t.unitId, t.dueAt),
  ],
);


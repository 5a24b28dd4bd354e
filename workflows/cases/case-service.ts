import { and, asc, eq, lte } from 'drizzle-orm';
import { z } from 'zod';
import { cases, contacts, slaRules as slaRulesTable } from '../../db/schema.js';
import type { Clock } from '../../runtime/clock.js';
import type { Db, Queryable } from '../../runtime/db.js';
import { insertOutbox, type OutboxIntent } from '../../runtime/outbox/outbox.js';
import { formatVnDate, localDay, type WorkingCalendar } from '../calendar/working-calendar.js';
import { pickHandlerForUnit, recordAssignment } from '../routing/assign-handler.js';
import { routeCase, type RouteDecision } from '../routing/route-case.js';
import { loadActiveUnitIds, loadRoutingCategories, loadRoutingRules } from '../routing/routing.repo.js';
import { computeInitialDueDates, DEFAULT_SLA_RULES, type CaseDueDates, type SlaRule } from '../sla/sla-rules.js';
import { describeActor, SYSTEM_ACTOR, type Actor } from './actor.js';
import { signalCaseChange } from './case-change-signal.js';
import { allocateCaseCode } from './case-code.js';
import { ZCaseCommand, type CaseCommand } from './case-commands.js';
import { caseError, CaseInputError, type CaseError } from './case-errors.js';
import { canActorSeeCase, checkCommandPermission } from './case-permissions.js';
import type { CaseEventDraft, CaseState, NotificationIntent, TransitionContext } from './case-state.js';
import {
  findCaseRow,
  insertCaseEvents,
  insertCaseRow,
  listCaseEvents,
  loadCategoryInfo,
  loadCaseView,
  loadCoUnitIds,
  loadContactNames,
  loadMergedCases,
  loadMergeTarget,
  loadOfficialInfos,
  loadUnitInfos,
  syncCaseUnits,
  toCaseState,
  updateCaseFromState,
  type CaseView,
} from './case.repo.js';
import { keyIntents, NOTIFICATION_TEMPLATES, toCitizen } from './notification-intents.js';
import { buildSearchText } from './search-text.js';
import { transition } from './transition.js';

import { listCasesForActor, type CaseListFilters } from './list-cases.js';

export { listCasesForActor, ZCaseListFilters, CASE_LIST_VIEWS, type CaseListFilters, type CaseListPage } from './list-cases.js';

export interface CaseServiceDeps {
  db: Db;
  clock: Clock;
  loadCalendar: () => Promise<WorkingCalendar>;
  /** Defaults to the active rows of sla_rules, or DEFAULT_SLA_RULES while that table is empty. */
  loadSlaRules?: () => Promise<SlaRule[]>;
}

/** Calendar days without a rating after which an answered case closes by itself. */
export const DEFAULT_AUTO_CLOSE_DAYS = 7;

// ───────────────────────────── create ─────────────────────────────

export const ZCreateCaseInput = z.object({
  channel: z.enum(['zalo', 'console', 'api']),
  contact: z.object({ id: z.number().int().positive() }).nullable(),
  contactKind: z.enum(['citizen', 'business']),
  categoryId: z.number().int().positive().nullable(),
  priority: z.enum(['normal', 'urgent', 'complex']).optional(),
  title: z.string().trim().max(300).optional(),
  description: z.string().trim().min(1).max(10_000),
  address: z.string().trim().max(500).nullish(),
  areaUnitId: z.number().int().positive().nullish(),
  latitude: z.number().min(-90).max(90).nullish(),
  longitude: z.number().min(-180).max(180).nullish(),
  consentVersion: z.string().max(100).nullish(),
});
export type TCreateCaseInput = z.input<typeof ZCreateCaseInput> & {
  /** Who registered it: the citizen (bot), an official (console). Defaults to the contact, else the system. */
  actor?: Actor;
};

export interface CreateCaseResult {
  case: CaseView;
  dueDates: CaseDueDates;
  /** The automatic routing applied at once, or null: the case waits in the dispatcher queue. */
  routing: RouteDecision | null;
}

/**
 * Registers a new case (ARCHITECTURE.md §3 "(new) → received") in one transaction: code from case_counters,
 * due dates, the `received` event and the citizen's acknowledgement; when a routing rule matches, the case is
 * assigned straight away through the state machine (second event, accept due date, unit notified).
 * Throws ZodError / CaseInputError on input the edge should have rejected.
 */
export async function createCase(deps: CaseServiceDeps, rawInput: TCreateCaseInput): Promise<CreateCaseResult> {
  const { actor: givenActor, ...rest } = rawInput;
  const input = ZCreateCaseInput.parse(rest);
  const now = deps.clock.now();
  // Loaded before the transaction opens: the loaders query the outer db, which deadlocks inside a PGlite transaction.
  const [calendar, slaRules] = await Promise.all([deps.loadCalendar(), loadSlaRules(deps)]);
  const priority = input.priority ?? 'normal';
  const dueDates = computeInitialDueDates(calendar, slaRules, { receivedAt: now, categoryId: input.categoryId, priority });

  return deps.db.transaction(async (tx) => {
    const contact = input.contact ? await findContact(tx, input.contact.id) : null;
    if (input.contact && !contact) throw new CaseInputError('invalid_input', `contact ${input.contact.id} does not exist`);
    const actor: Actor = givenActor ?? (contact ? { type: 'citizen', contactId: contact.id } : SYSTEM_ACTOR);

    const code = await allocateCaseCode(tx, now);
    const row = await insertCaseRow(tx, {
      code,
      channel: input.channel,
      contactKind: input.contactKind,
      contactId: contact?.id ?? null,
      categoryId: input.categoryId,
      priority,
      title: input.title ?? null,
      description: input.description,
      address: input.address ?? null,
      areaUnitId: input.areaUnitId ?? null,
      latitude: input.latitude ?? null,
      longitude: input.longitude ?? null,
      receivedAt: now,
      triageDueAt: dueDates.triageDueAt,
      answerDueAt: dueDates.answerDueAt,
      searchText: buildSearchText([code, input.description, contact?.fullName, contact?.displayName, contact?.companyName]),
      consentVersion: input.consentVersion ?? null,
      createdAt: now,
    });

    let state = toCaseState(row, []);
    const events: CaseEventDraft[] = [
      {
        action: 'received',
        fromStatus: null,
        toStatus: 'received',
        ...describeActor(actor),
        payload: { channel: input.channel, triageDueAt: dueDates.triageDueAt.toISOString(), answerDueAt: dueDates.answerDueAt.toISOString() },
        at: now,
      },
    ];
    const intents: NotificationIntent[] = keyIntents(
      row.id,
      row.version,
      toCitizen(state, NOTIFICATION_TEMPLATES.caseReceived, { receivedDate: formatVnDate(now) }),
    );

    const routing = await findRoute(tx, state);
    if (routing) {
      const ctx: TransitionContext = { calendar, slaRules, units: await loadUnitInfos(tx, [routing.unitId]) };
      const command: CaseCommand = { type: 'assign', unitId: routing.unitId, ...(routing.source === 'rule' ? { ruleId: routing.ruleId } : {}) };
      const result = transition(state, command, SYSTEM_ACTOR, now, ctx);
      if (result.ok) {
        await updateCaseFromState(tx, result.next, state.version, now);
        await syncCaseUnits(tx, row.id, result.next.responsibleUnitId, result.next.coUnitIds, now);
        events.push(...result.events);
        intents.push(...result.intents);
        state = result.next;
      }
    }

    await insertCaseEvents(tx, row.id, events);
    await insertOutbox(tx, toOutboxIntents(row.id, intents), now);
    await signalCaseChange(tx, { caseId: row.id, kind: 'created' });
    const view = await loadCaseView(tx, row.id);
    if (!view) throw new Error(`case ${row.id} vanished inside its own transaction`);
    return { case: view, dueDates: { ...dueDates, acceptDueAt: state.acceptDueAt }, routing: state.status === 'assigned' ? routing : null };
  });
}

async function findRoute(tx: Queryable, state: CaseState): Promise<RouteDecision | null> {
  // One after another: a transaction is one connection, and pg does not queue concurrent queries on it for us.
  const rules = await loadRoutingRules(tx);
  const categoryRows = await loadRoutingCategories(tx);
  const activeUnitIds = await loadActiveUnitIds(tx);
  return routeCase(rules, categoryRows, { categoryId: state.categoryId, areaUnitId: state.areaUnitId }, { activeUnitIds });
}

async function findContact(q: Queryable, contactId: number) {
  const [row] = await q
    .select({ id: contacts.id, fullName: contacts.fullName, displayName: contacts.displayName, companyName: contacts.companyName })
    .from(contacts)
    .where(eq(contacts.id, contactId));
  return row ?? null;
}

// ───────────────────────────── commands ─────────────────────────────

export interface RunCaseCommandInput {
  caseId: number;
  /** Parsed again here with ZCaseCommand: a job payload or test may hand over anything. */
  command: CaseCommand;
  actor: Actor;
  /** The version the actor saw; a different current version means someone else acted first. */
  expectedVersion: number;
}

export type CaseCommandResult =
  | { ok: true; case: CaseView; events: CaseEventDraft[]; intents: NotificationIntent[] }
  | { ok: false; error: CaseError };

/**
 * Runs one command on one case, in one transaction: lock the row (FOR UPDATE), check scope and version,
 * call transition(), write the case (version + 1, guarded by the expected version), its case_units, the
 * event and the outbox rows. A refused command writes nothing.
 */
export async function runCaseCommand(deps: CaseServiceDeps, input: RunCaseCommandInput): Promise<CaseCommandResult> {
  return runCaseCommandAt(deps, input, deps.clock.now());
}

async function runCaseCommandAt(deps: CaseServiceDeps, input: RunCaseCommandInput, now: Date): Promise<CaseCommandResult> {
  const parsed = ZCaseCommand.safeParse(input.command);
  if (!parsed.success) return { ok: false, error: caseError('invalid_input') };
  const command = parsed.data;
  const [calendar, slaRules] = await Promise.all([deps.loadCalendar(), loadSlaRules(deps)]);

  return deps.db.transaction(async (tx) => {
    const row = await findCaseRow(tx, input.caseId, { lock: true });
    if (!row) return { ok: false, error: caseError('not_found') };
    const current = toCaseState(row, await loadCoUnitIds(tx, row.id));
    // Scope before version: someone who may not see the case must not learn that it changed.
    if (!canActorSeeCase(input.actor, current)) return { ok: false, error: caseError('not_found') };
    if (row.version !== input.expectedVersion) return { ok: false, error: caseError('stale_version') };

    const ctx = await buildTransitionContext(tx, current, command, input.actor, now, calendar, slaRules);
    const result = transition(current, command, input.actor, now, ctx);
    if (!result.ok) return result;

    const { next } = result;
    if (!(await updateCaseFromState(tx, next, input.expectedVersion, now))) return { ok: false, error: caseError('stale_version') };
    if (next.responsibleUnitId !== current.responsibleUnitId || !sameIds(next.coUnitIds, current.coUnitIds)) {
      await syncCaseUnits(tx, next.id, next.responsibleUnitId, next.coUnitIds, now);
    }
    if (next.assigneeId !== null && next.assigneeId !== current.assigneeId) await recordAssignment(tx, next.assigneeId, now);
    await insertCaseEvents(tx, next.id, result.events);
    await insertOutbox(tx, toOutboxIntents(next.id, result.intents), now);
    await signalCaseChange(tx, { caseId: next.id, kind: 'changed', previousUnitIds: unitsOf(current) });

    const view = await loadCaseView(tx, next.id);
    if (!view) throw new Error(`case ${next.id} vanished inside its own transaction`);
    return { ok: true, case: view, events: result.events, intents: result.intents };
  });
}

/** Loads only what the command needs; the handler pick (and its locks) only when it can be used. */
async function buildTransitionContext(
  tx: Queryable,
  current: CaseState,
  command: CaseCommand,
  actor: Actor,
  now: Date,
  calendar: WorkingCalendar,
  slaRules: SlaRule[],
): Promise<TransitionContext> {
  const unitIds = [...current.coUnitIds];
  if (current.responsibleUnitId !== null) unitIds.push(current.responsibleUnitId);
  if (command.type === 'assign' || command.type === 'transfer') unitIds.push(command.unitId, ...(command.coUnitIds ?? []));
  const ctx: TransitionContext = { calendar, slaRules, units: await loadUnitInfos(tx, unitIds) };

  switch (command.type) {
    case 'accept':
      if (command.handlerId !== undefined) ctx.officials = await loadOfficialInfos(tx, [command.handlerId]);
      else if (
        current.status === 'assigned' &&
        current.responsibleUnitId !== null &&
        checkCommandPermission(actor, 'accept', current) === null
      ) {
        ctx.autoHandlerId = await pickHandlerForUnit(tx, current.responsibleUnitId, localDay(now));
      }
      break;
    case 'assign_handler':
      ctx.officials = await loadOfficialInfos(tx, [command.handlerId]);
      break;
    case 'merge':
      ctx.mergeTarget = await loadMergeTarget(tx, command.intoCaseId);
      break;
    case 'recategorise':
      ctx.category = await loadCategoryInfo(tx, command.categoryId);
      break;
    case 'draft_answer':
    case 'approve':
      ctx.mergedCases = await loadMergedCases(tx, current.id);
      break;
    case 'publish':
      ctx.contactNames = await loadContactNames(tx, current.contactId);
      break;
    default:
      break;
  }
  return ctx;
}

// ───────────────────────────── reads ─────────────────────────────

export type CaseReadResult = { ok: true; case: CaseView } | { ok: false; error: CaseError };

/** Out-of-scope cases are `not_found`, exactly like missing ones, so ids cannot be probed. */
export async function getCaseForActor(deps: Pick<CaseServiceDeps, 'db'>, caseId: number, actor: Actor): Promise<CaseReadResult> {
  const view = await loadCaseView(deps.db, caseId);
  if (!view || !canActorSeeCase(actor, view)) return { ok: false, error: caseError('not_found') };
  return { ok: true, case: view };
}

/** Internal steps a citizen has no business reading: notes, drafts, the unit's own requests. */
const INTERNAL_ACTIONS = new Set(['note_added', 'answer_drafted', 'sent_back', 'extension_requested', 'handler_assigned', 'accepted', 'returned']);

export async function listCaseEventsForActor(
  deps: Pick<CaseServiceDeps, 'db'>,
  caseId: number,
  actor: Actor,
): Promise<{ ok: true; events: Awaited<ReturnType<typeof listCaseEvents>> } | { ok: false; error: CaseError }> {
  const read = await getCaseForActor(deps, caseId, actor);
  if (!read.ok) return read;
  const events = await listCaseEvents(deps.db, caseId);
  return { ok: true, events: actor.type === 'citizen' ? events.filter((e) => !INTERNAL_ACTIONS.has(e.action)) : events };
}

// ───────────────────────────── scheduled ─────────────────────────────

export interface CloseUnratedResult {
  closedCaseIds: number[];
  /** Changed by someone else between the scan and the close (e.g. rated meanwhile). */
  skippedCaseIds: number[];
}

/**
 * Closes answered cases the citizen has not rated within `days` calendar days (the scheduler calls it).
 * Each case goes through runCaseCommand with its own version, so a rating arriving at the same moment wins
 * or loses cleanly, and running the sweep twice closes nothing twice.
 */
export async function closeUnratedCases(
  deps: CaseServiceDeps,
  now: Date,
  days: number = DEFAULT_AUTO_CLOSE_DAYS,
  options: { limit?: number } = {},
): Promise<CloseUnratedResult> {
  const cutoff = new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
  const due = await deps.db
    .select({ id: cases.id, version: cases.version })
    .from(cases)
    .where(and(eq(cases.status, 'answered'), lte(cases.answeredAt, cutoff)))
    .orderBy(asc(cases.id))
    .limit(options.limit ?? 500);
  const result: CloseUnratedResult = { closedCaseIds: [], skippedCaseIds: [] };
  for (const row of due) {
    const outcome = await runCaseCommandAt(
      deps,
      { caseId: row.id, command: { type: 'auto_close', afterDays: days }, actor: SYSTEM_ACTOR, expectedVersion: row.version },
      now,
    );
    (outcome.ok ? result.closedCaseIds : result.skippedCaseIds).push(row.id);
  }
  return result;
}

// ───────────────────────────── wiring ─────────────────────────────

/** The same functions with their dependencies bound, for the composition root. */
export function createCaseService(deps: CaseServiceDeps) {
  return {
    createCase: (input: TCreateCaseInput) => createCase(deps, input),
    runCaseCommand: (input: RunCaseCommandInput) => runCaseCommand(deps, input),
    getCaseForActor: (caseId: number, actor: Actor) => getCaseForActor(deps, caseId, actor),
    listCaseEventsForActor: (caseId: number, actor: Actor) => listCaseEventsForActor(deps, caseId, actor),
    listCasesForActor: (actor: Actor, filters: CaseListFilters) => listCasesForActor(deps, actor, filters),
    closeUnratedCases: (now: Date, days?: number) => closeUnratedCases(deps, now, days),
  };
}
export type CaseService = ReturnType<typeof createCaseService>;

export async function loadSlaRulesFromDb(q: Queryable): Promise<SlaRule[]> {
  const rows = await q.select().from(slaRulesTable).where(eq(slaRulesTable.active, true));
  return rows.length > 0 ? rows : DEFAULT_SLA_RULES;
}

function loadSlaRules(deps: CaseServiceDeps): Promise<SlaRule[]> {
  return deps.loadSlaRules ? deps.loadSlaRules() : loadSlaRulesFromDb(deps.db);
}

/** The outbox row of an intent; kind 'notify' leaves the channel (Zalo CS, ZBS, e-mail) to the delivery job. */
function toOutboxIntents(caseId: number, intents: readonly NotificationIntent[]): OutboxIntent[] {
  return intents.map((i) => ({ key: i.key, kind: 'notify', recipient: { ...i.to }, template: i.template, data: i.data, caseId }));
}

function unitsOf(c: Pick<CaseState, 'responsibleUnitId' | 'coUnitIds'>): number[] {
  return c.responsibleUnitId === null ? [...c.coUnitIds] : [c.responsibleUnitId, ...c.coUnitIds];
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((id) => set.has(id));
}

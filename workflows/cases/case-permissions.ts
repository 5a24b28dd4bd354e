import type { Actor, Role } from './actor.js';
import type { CaseCommandType } from './case-commands.js';
import type { CaseErrorCode } from './case-errors.js';
import { CASE_STATUSES, UNIT_HELD_STATUSES, type CaseStatus } from './case-status.js';
import type { CaseState } from './case-state.js';

/**
 * How far a role reaches: 'any' case, cases its unit leads, or cases its unit leads or co-handles.
 * Co-handling units only add notes (ARCHITECTURE.md §3), so only add_note grants 'lead_or_co'.
 */
export type RoleReach = 'any' | 'lead' | 'lead_or_co';

export interface CommandRule {
  /** Statuses the command may start from. */
  from: readonly CaseStatus[];
  officials: Partial<Record<Role, RoleReach>>;
  /** The citizen who sent the case. */
  citizen: boolean;
  /** Scheduled jobs and routing rules. */
  system: boolean;
}

const DISPATCH: Partial<Record<Role, RoleReach>> = { dispatcher: 'any', admin: 'any' };
const UNIT_WORK: Partial<Record<Role, RoleReach>> = { handler: 'lead', unit_leader: 'lead', admin: 'any' };
const UNIT_LEAD: Partial<Record<Role, RoleReach>> = { unit_leader: 'lead', admin: 'any' };

/** ARCHITECTURE.md §3 as data: who may run each command, and from which statuses. viewer runs nothing. */
export const COMMAND_RULES: Record<CaseCommandType, CommandRule> = {
  assign: { from: ['received'], officials: DISPATCH, citizen: false, system: true },
  accept: { from: ['assigned'], officials: UNIT_WORK, citizen: false, system: false },
  assign_handler: { from: ['in_progress', 'awaiting_info', 'pending_approval'], officials: UNIT_LEAD, citizen: false, system: false },
  return: { from: ['assigned'], officials: UNIT_LEAD, citizen: false, system: false },
  refuse: { from: ['received'], officials: DISPATCH, citizen: false, system: false },
  merge: { from: ['received'], officials: DISPATCH, citizen: false, system: false },
  // Triage work: once a unit holds the case, a wrong category is a reason to return it.
  recategorise: { from: ['received'], officials: DISPATCH, citizen: false, system: false },
  transfer: { from: UNIT_HELD_STATUSES, officials: DISPATCH, citizen: false, system: false },
  request_info: { from: ['in_progress'], officials: UNIT_WORK, citizen: false, system: false },
  // Officials of the unit may record a reply the citizen gave by phone or at the desk.
  provide_info: { from: ['awaiting_info'], officials: UNIT_WORK, citizen: true, system: false },
  draft_answer: { from: ['in_progress'], officials: UNIT_WORK, citizen: false, system: false },
  approve: { from: ['pending_approval'], officials: UNIT_LEAD, citizen: false, system: false },
  send_back: { from: ['pending_approval'], officials: UNIT_LEAD, citizen: false, system: false },
  // An admin may record a rating the citizen gave by phone (the satisfaction survey).
  rate: { from: ['answered'], officials: { admin: 'any' }, citizen: true, system: false },
  auto_close: { from: ['answered'], officials: {}, citizen: false, system: true },
  request_extension: { from: UNIT_HELD_STATUSES, officials: UNIT_LEAD, citizen: false, system: false },
  grant_extension: { from: UNIT_HELD_STATUSES, officials: DISPATCH, citizen: false, system: false },
  add_note: {
    from: CASE_STATUSES,
    officials: { handler: 'lead_or_co', unit_leader: 'lead_or_co', dispatcher: 'any', admin: 'any' },
    citizen: false,
    system: false,
  },
  publish: { from: ['answered', 'closed'], officials: DISPATCH, citizen: false, system: false },
};

type CaseScope = Pick<CaseState, 'responsibleUnitId' | 'coUnitIds' | 'contactId'>;

/**
 * Dispatchers and admins see every case; unit roles see what their unit leads or co-handles; a citizen
 * sees their own cases. Anything else is reported as not found, so existence does not leak.
 */
export function canActorSeeCase(actor: Actor, c: CaseScope): boolean {
  switch (actor.type) {
    case 'system':
      return true;
    case 'citizen':
      return c.contactId !== null && c.contactId === actor.contactId;
    case 'official':
      if (actor.roles.includes('admin') || actor.roles.includes('dispatcher')) return true;
      if (actor.roles.length === 0) return false;
      return c.responsibleUnitId === actor.unitId || c.coUnitIds.includes(actor.unitId);
  }
}

/** null when allowed; otherwise not_found (cannot see it) or forbidden (sees it, may not do this). */
export function checkCommandPermission(actor: Actor, type: CaseCommandType, c: CaseScope): CaseErrorCode | null {
  if (!canActorSeeCase(actor, c)) return 'not_found';
  const rule = COMMAND_RULES[type];
  switch (actor.type) {
    case 'system':
      return rule.system ? null : 'forbidden';
    case 'citizen':
      return rule.citizen ? null : 'forbidden';
    case 'official': {
      const isLead = c.responsibleUnitId === actor.unitId;
      const isCo = c.coUnitIds.includes(actor.unitId);
      const granted = actor.roles.some((role) => {
        const reach = rule.officials[role];
        return reach === 'any' || (reach === 'lead' && isLead) || (reach === 'lead_or_co' && (isLead || isCo));
      });
      return granted ? null : 'forbidden';
    }
  }
}

/** The commands an actor could run on the case now: drives which buttons the console shows. */
export function listAllowedCommands(actor: Actor, c: CaseScope & Pick<CaseState, 'status'>): CaseCommandType[] {
  return (Object.keys(COMMAND_RULES) as CaseCommandType[]).filter(
    (type) => checkCommandPermission(actor, type, c) === null && COMMAND_RULES[type].from.includes(c.status),
  );
}

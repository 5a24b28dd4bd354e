import { z } from 'zod';

/** The same list as the `official_role` enum of db/schema.ts. */
export const ROLES = ['dispatcher', 'handler', 'unit_leader', 'admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface OfficialActor {
  type: 'official';
  officialId: number;
  unitId: number;
  roles: Role[];
}

export interface CitizenActor {
  type: 'citizen';
  contactId: number;
}

export interface SystemActor {
  type: 'system';
}

/** Who asks for a change: an official (scoped by unit and roles), the citizen who sent the case, or the system. */
export type Actor = OfficialActor | CitizenActor | SystemActor;

export const SYSTEM_ACTOR: SystemActor = { type: 'system' };

/** For job payloads and API tokens that carry an actor across a process boundary. */
export const ZActor = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('official'),
    officialId: z.number().int().positive(),
    unitId: z.number().int().positive(),
    roles: z.array(z.enum(ROLES)),
  }),
  z.object({ type: z.literal('citizen'), contactId: z.number().int().positive() }),
  z.object({ type: z.literal('system') }),
]);
export type TActor = z.infer<typeof ZActor>;

export function hasRole(actor: Actor, role: Role): boolean {
  return actor.type === 'official' && actor.roles.includes(role);
}

/** The columns case_events stores for the actor: type plus an id that is a string for every kind. */
export function describeActor(actor: Actor): { actorType: Actor['type']; actorId: string | null } {
  switch (actor.type) {
    case 'official':
      return { actorType: 'official', actorId: String(actor.officialId) };
    case 'citizen':
      return { actorType: 'citizen', actorId: String(actor.contactId) };
    case 'system':
      return { actorType: 'system', actorId: null };
  }
}

import { seedDemoOfficials } from '../db/seeds/seed-demo.js';
import { seedNudgeRules } from '../db/seeds/seed-nudges.js';
import { seedReportingRegimes } from '../db/seeds/seed-reports.js';
import { seedCalendar, seedOrganisation, seedSlaRules } from '../db/seeds/seed-reference.js';
import { DEFAULT_SLA_RULES } from '../workflows/sla/sla-rules.js';
import type { Db } from './db.js';

export interface SeedOptions {
  demo: boolean;
  /** Demo cases are created through the workflows, so their composition lives with the caller. */
  seedDemoCases?: (db: Db) => Promise<void>;
}

/** Everything a fresh installation needs; safe to run on every start. */
export async function seedAll(db: Db, options: SeedOptions): Promise<void> {
  await seedOrganisation(db);
  await seedCalendar(db);
  await seedSlaRules(
    db,
    DEFAULT_SLA_RULES.map((r) => ({
      code: r.code,
      step: r.step,
      categoryId: r.categoryId,
      priority: r.priority,
      limitValue: r.limitValue,
      limitUnit: r.limitUnit,
      startEvent: r.startEvent,
      legalSource: r.legalSource,
      active: r.active,
    })),
  );
  await seedNudgeRules(db);
  await seedReportingRegimes(db);
  if (options.demo) {
    await seedDemoOfficials(db);
    await options.seedDemoCases?.(db);
  }
}

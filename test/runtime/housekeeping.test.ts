import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifierModels } from '../../db/schema.js';
import type { AppDeps } from '../../runtime/app.js';
import { createFakeClock } from '../../runtime/clock.js';
import { runHousekeeping } from '../../runtime/housekeeping.part.js';
import { createLogger } from '../../runtime/logger.js';
import { seedAll } from '../../runtime/seed.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

describe('housekeeping on the scheduler tick', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    await seedAll(database.db, { demo: false });
  });
  afterAll(async () => database?.destroy());

  it('retrains the classifier once per night, whichever tick or process gets there first', async () => {
    // A process started in the day does not spend its first tick training: that waits for the night.
    const clock = createFakeClock('2026-03-02T03:00:00Z'); // 10:00 in Hà Nội
    const deps = { database, clock, logger: createLogger({ level: 'silent' }) } as unknown as AppDeps;
    await runHousekeeping(deps, clock.now());
    expect(await database.db.select().from(classifierModels)).toHaveLength(0);
    clock.set('2026-03-02T18:00:00Z'); // 01:00: too early
    await runHousekeeping(deps, clock.now());
    expect(await database.db.select().from(classifierModels)).toHaveLength(0);

    clock.set('2026-03-02T19:30:00Z'); // 02:30
    await runHousekeeping(deps, clock.now());
    await runHousekeeping(deps, clock.now());
    clock.set('2026-03-02T23:00:00Z'); // 06:00 the same local day
    await runHousekeeping(deps, clock.now());
    expect(await database.db.select().from(classifierModels)).toHaveLength(1);

    clock.set('2026-03-03T19:30:00Z'); // the next night
    await runHousekeeping(deps, clock.now());
    expect(await database.db.select().from(classifierModels)).toHaveLength(2);
  });
});

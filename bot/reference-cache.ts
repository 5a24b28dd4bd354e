import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import { categories, legacyUnits, units } from '../db/schema.js';
import type { Tx } from '../runtime/db.js';
import { createPlaceMatcher, type PlaceMatcher } from './conversation/place-matcher.js';

export interface BotReference {
  categories: Array<{ id: number; name: string }>;
  places: PlaceMatcher;
}

/** Categories and units change rarely (admin edits); a few minutes of staleness is fine for the bot. */
const TTL_MS = 5 * 60_000;

export function createReferenceCache(now: () => number = Date.now) {
  let cached: { at: number; value: BotReference } | undefined;
  return async function loadReference(tx: Tx): Promise<BotReference> {
    if (cached && now() - cached.at < TTL_MS) return cached.value;
    const categoryRows = await tx
      .select({ id: categories.id, name: categories.name })
      .from(categories)
      .where(eq(categories.active, true))
      .orderBy(asc(categories.sortOrder), asc(categories.id));
    const unitRows = await tx
      .select({ id: units.id, name: units.name, fullName: units.fullName, kind: units.kind })
      .from(units)
      .where(and(inArray(units.kind, ['ward', 'commune']), eq(units.active, true), isNull(units.effectiveTo)));
    const legacyRows = await tx.select({ oldFullName: legacyUnits.oldFullName, unitId: legacyUnits.unitId, share: legacyUnits.share }).from(legacyUnits);
    const value: BotReference = {
      categories: categoryRows,
      places: createPlaceMatcher(
        unitRows.map((u) => ({ ...u, kind: u.kind === 'commune' ? 'commune' : 'ward' })),
        legacyRows,
      ),
    };
    cached = { at: now(), value };
    return value;
  };
}

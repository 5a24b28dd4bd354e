import { tokenizeVietnamese } from '../../workflows/text/fold-vietnamese.js';

export interface PlaceUnit {
  id: number;
  name: string;
  fullName: string;
  kind: 'ward' | 'commune';
}

export interface LegacyPlace {
  oldFullName: string;
  unitId: number;
  share: 'full' | 'partial';
}

export type PlaceMatch =
  | { kind: 'unit'; unit: PlaceUnit }
  | { kind: 'legacy'; oldName: string; candidates: PlaceUnit[] }
  | { kind: 'ambiguous'; candidates: PlaceUnit[] }
  | { kind: 'none' };

export interface PlaceMatcher {
  match(text: string): PlaceMatch;
  unitById(id: number): PlaceUnit | undefined;
}

const UNIT_PREFIXES = new Set(['phuong', 'xa', 'p', 'x', 'thi', 'tran', 'quan', 'huyen', 'q', 'h']);

function nameTokens(name: string): string[] {
  const tokens = tokenizeVietnamese(name);
  // "Phường Hoàn Kiếm" and "Xã Sóc Sơn" are matched by their proper name.
  while (tokens.length > 1 && UNIT_PREFIXES.has(tokens[0]!)) tokens.shift();
  return tokens;
}

/** Whether `needle` occurs as whole tokens inside one segment of the text. */
function occursIn(segments: string[][], needle: string[]): boolean {
  return segments.some((hay) => {
    for (let i = 0; i + needle.length <= hay.length; i++) {
      if (needle.every((t, j) => hay[i + j] === t)) return true;
    }
    return false;
  });
}

/** "Tràng Tiền, phường X" must not read as "Tiên Phương": names never span punctuation. */
function segmentTokens(text: string): string[][] {
  return text
    .split(/[,;.\n()/|]+/)
    .map((part) => tokenizeVietnamese(part))
    .filter((tokens) => tokens.length > 0);
}

function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Finds the ward/commune a citizen means: the 126 current names first (accent- and case-insensitive,
 * with or without "phường"/"xã"), then pre-2025 names that propose the unit(s) they became, then
 * small typos. Old and new names collide (Ngọc Hà is both); the current unit wins, as the law does.
 */
export function createPlaceMatcher(units: PlaceUnit[], legacy: LegacyPlace[]): PlaceMatcher {
  const byId = new Map(units.map((u) => [u.id, u]));
  const unitEntries = units.map((u) => ({ unit: u, tokens: nameTokens(u.name) }));
  const legacyByName = new Map<string, { oldName: string; tokens: string[]; unitIds: Set<number> }>();
  for (const l of legacy) {
    const tokens = nameTokens(l.oldFullName);
    const key = tokens.join(' ');
    const entry = legacyByName.get(key) ?? { oldName: l.oldFullName, tokens, unitIds: new Set<number>() };
    entry.unitIds.add(l.unitId);
    legacyByName.set(key, entry);
  }
  const currentNames = new Set(unitEntries.map((e) => e.tokens.join(' ')));

  const longestHits = <T extends { tokens: string[] }>(entries: T[], text: string[][]): T[] => {
    const hits = entries.filter((e) => e.tokens.length > 0 && occursIn(text, e.tokens));
    const longest = Math.max(0, ...hits.map((h) => h.tokens.length));
    // "Thanh Xuân" must not also report a unit called "Xuân" inside it.
    return hits.filter((h) => h.tokens.length === longest);
  };

  return {
    unitById: (id) => byId.get(id),
    match(text) {
      const segments = segmentTokens(text);
      if (segments.length === 0) return { kind: 'none' };

      const unitHits = longestHits(unitEntries, segments);
      if (unitHits.length === 1) return { kind: 'unit', unit: unitHits[0]!.unit };
      if (unitHits.length > 1) return { kind: 'ambiguous', candidates: unitHits.map((h) => h.unit) };

      const legacyHits = longestHits([...legacyByName.values()], segments).filter((h) => !currentNames.has(h.tokens.join(' ')));
      if (legacyHits.length > 0) {
        const ids = new Set(legacyHits.flatMap((h) => [...h.unitIds]));
        const candidates = [...ids].map((id) => byId.get(id)).filter((u): u is PlaceUnit => u !== undefined);
        return { kind: 'legacy', oldName: legacyHits[0]!.oldName, candidates };
      }

      // Typos: compare each unit name against same-length windows of the text, one edit per 6 letters.
      const fuzzy = unitEntries.filter((e) => {
        const target = e.tokens.join(' ');
        const allowed = Math.max(1, Math.floor(target.length / 6));
        return segments.some((tokens) => {
          for (let i = 0; i + e.tokens.length <= tokens.length; i++) {
            const window = tokens.slice(i, i + e.tokens.length).join(' ');
            if (editDistance(window, target, allowed) <= allowed) return true;
          }
          return false;
        });
      });
      if (fuzzy.length === 1) return { kind: 'unit', unit: fuzzy[0]!.unit };
      if (fuzzy.length > 1) return { kind: 'ambiguous', candidates: fuzzy.map((f) => f.unit).slice(0, 10) };
      return { kind: 'none' };
    },
  };
}

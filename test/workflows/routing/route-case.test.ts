import { describe, expect, it } from 'vitest';
import { pickHandler, type HandlerCandidate } from '../../../workflows/routing/assign-handler.js';
import { routeCase, type RoutingCategory, type RoutingRule } from '../../../workflows/routing/route-case.js';

const ROAD = 1;
const TRASH = 2;
const OTHER = 3;
const SXD = 100;
const SPECIAL = 101;
const WARD_HK = 700;
const WARD_BD = 701;

const rule = (r: Partial<RoutingRule> & { id: number }): RoutingRule => ({
  categoryId: null,
  areaUnitId: null,
  targetUnitId: null,
  routeToArea: false,
  priority: 100,
  active: true,
  ...r,
});

const categories: RoutingCategory[] = [
  { id: ROAD, defaultUnitId: SXD, routeToArea: false, active: true },
  { id: TRASH, defaultUnitId: null, routeToArea: true, active: true },
  { id: OTHER, defaultUnitId: null, routeToArea: false, active: true },
];

describe('routeCase', () => {
  const rules = [
    rule({ id: 1, categoryId: ROAD, targetUnitId: SXD }),
    rule({ id: 2, categoryId: ROAD, areaUnitId: WARD_BD, targetUnitId: SPECIAL }),
    rule({ id: 3, categoryId: TRASH, routeToArea: true }),
  ];

  it('category rule → its unit', () => {
    expect(routeCase(rules, categories, { categoryId: ROAD, areaUnitId: WARD_HK })).toEqual({ unitId: SXD, source: 'rule', ruleId: 1 });
  });

  it('the more specific rule (category × area) wins at equal priority', () => {
    expect(routeCase(rules, categories, { categoryId: ROAD, areaUnitId: WARD_BD })).toEqual({ unitId: SPECIAL, source: 'rule', ruleId: 2 });
  });

  it('a lower priority number wins over specificity', () => {
    const withUrgent = [...rules, rule({ id: 9, categoryId: ROAD, targetUnitId: 555, priority: 10 })];
    expect(routeCase(withUrgent, categories, { categoryId: ROAD, areaUnitId: WARD_BD })).toMatchObject({ unitId: 555, ruleId: 9 });
  });

  it('route_to_area sends the case to its own ward, and is skipped when the case has no ward', () => {
    expect(routeCase(rules, categories, { categoryId: TRASH, areaUnitId: WARD_HK })).toEqual({ unitId: WARD_HK, source: 'rule', ruleId: 3 });
    expect(routeCase(rules, categories, { categoryId: TRASH, areaUnitId: null })).toBeNull();
  });

  it('no match → null (stays received for the dispatcher)', () => {
    expect(routeCase(rules, categories, { categoryId: OTHER, areaUnitId: WARD_HK })).toBeNull();
    expect(routeCase(rules, categories, { categoryId: null, areaUnitId: null })).toBeNull();
  });

  it('inactive rules and rules into inactive units are skipped', () => {
    const r = [rule({ id: 1, categoryId: ROAD, targetUnitId: 42, active: false }), rule({ id: 2, categoryId: ROAD, targetUnitId: 43 })];
    expect(routeCase(r, [], { categoryId: ROAD, areaUnitId: null }, { activeUnitIds: new Set([SXD]) })).toBeNull();
    expect(routeCase(r, [], { categoryId: ROAD, areaUnitId: null }, { activeUnitIds: new Set([43]) })).toMatchObject({ unitId: 43 });
  });

  it('falls back to the category default when no rule exists', () => {
    expect(routeCase([], categories, { categoryId: ROAD, areaUnitId: null })).toEqual({ unitId: SXD, source: 'category_default', categoryId: ROAD });
    expect(routeCase([], categories, { categoryId: TRASH, areaUnitId: WARD_BD })).toMatchObject({ unitId: WARD_BD, source: 'category_default' });
    const inactive = categories.map((c) => ({ ...c, active: false }));
    expect(routeCase([], inactive, { categoryId: ROAD, areaUnitId: null })).toBeNull();
  });

  it('a catch-all rule (any category, any area) applies last among equals', () => {
    const r = [rule({ id: 5, targetUnitId: 999 }), ...rules];
    expect(routeCase(r, categories, { categoryId: OTHER, areaUnitId: null })).toMatchObject({ unitId: 999, ruleId: 5 });
    expect(routeCase(r, categories, { categoryId: ROAD, areaUnitId: null })).toMatchObject({ unitId: SXD, ruleId: 1 });
  });
});

describe('pickHandler', () => {
  const h = (c: Partial<HandlerCandidate> & { id: number }): HandlerCandidate => ({
    roles: ['handler'],
    active: true,
    onLeaveUntil: null,
    lastAssignedAt: null,
    openCases: 0,
    ...c,
  });
  const today = '2026-03-10';

  it('round robin: never assigned first, then the longest since the last assignment', () => {
    const list = [
      h({ id: 1, lastAssignedAt: new Date('2026-03-09T01:00:00Z') }),
      h({ id: 2, lastAssignedAt: new Date('2026-03-08T01:00:00Z') }),
      h({ id: 3 }),
    ];
    expect(pickHandler('round_robin', list, today)).toBe(3);
    expect(pickHandler('round_robin', list.slice(0, 2), today)).toBe(2);
  });

  it('least open: fewest open cases, ties by last assignment then id', () => {
    const list = [
      h({ id: 1, openCases: 3 }),
      h({ id: 2, openCases: 1, lastAssignedAt: new Date('2026-03-09T01:00:00Z') }),
      h({ id: 3, openCases: 1, lastAssignedAt: new Date('2026-03-08T01:00:00Z') }),
    ];
    expect(pickHandler('least_open', list, today)).toBe(3);
  });

  it('skips inactive officials, officials on leave through today and non-handlers', () => {
    const list = [
      h({ id: 1, active: false }),
      h({ id: 2, onLeaveUntil: '2026-03-10' }),
      h({ id: 3, roles: ['unit_leader'] }),
      h({ id: 4, roles: ['viewer'] }),
      h({ id: 5, onLeaveUntil: '2026-03-09', openCases: 9 }),
    ];
    expect(pickHandler('least_open', list, today)).toBe(5);
    expect(pickHandler('round_robin', list.slice(0, 4), today)).toBeNull();
  });
});

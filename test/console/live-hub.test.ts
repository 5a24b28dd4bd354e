import { describe, expect, it } from 'vitest';
import { createCaseChangeHub, describeChangeFor, type LiveMessage } from '../../console/live/case-change-hub.js';
import type { Database, NotificationHandlers } from '../../runtime/db.js';
import { createLogger } from '../../runtime/logger.js';
import type { OfficialActor, Role } from '../../workflows/cases/actor.js';
import type { TCaseChangeSignal } from '../../workflows/cases/case-change-signal.js';
import type { CaseView } from '../../workflows/cases/case.repo.js';

/** Who hears what of a change (pure), and the hub's own bookkeeping with a database that only listens. */

const LEAD = 10;
const CO = 20;
const OTHER = 30;

function official(roles: Role[], unitId: number, officialId = 1): OfficialActor {
  return { type: 'official', officialId, unitId, roles };
}

const view = {
  id: 7,
  code: 'PA-2026-000007',
  status: 'in_progress',
  version: 4,
  responsibleUnitId: LEAD,
  coUnitIds: [CO],
  contactId: 3,
  assigneeId: 1,
} as unknown as CaseView;

const changed = (previousUnitIds?: number[]): TCaseChangeSignal => ({ caseId: 7, kind: 'changed', ...(previousUnitIds ? { previousUnitIds } : {}) });

describe('describeChangeFor', () => {
  it('tells the lead and co-handling units and the dispatchers, with code and status only', () => {
    const lead = describeChangeFor(official(['handler'], LEAD), changed([LEAD, CO]), view);
    expect(lead).toEqual({
      event: 'case',
      data: { caseId: 7, kind: 'changed', code: 'PA-2026-000007', status: 'in_progress', statusLabel: 'Đang xử lý', version: 4, entered: false, mine: true },
    });
    expect(describeChangeFor(official(['unit_leader'], CO, 2), changed([LEAD, CO]), view)).toMatchObject({ data: { code: view.code, mine: false } });
    expect(describeChangeFor(official(['dispatcher'], OTHER, 3), changed([OTHER]), view)).toMatchObject({ data: { code: view.code, entered: false } });
    expect(describeChangeFor(official(['admin'], OTHER, 4), changed(), view)).toMatchObject({ data: { code: view.code } });
  });

  it('tells nothing to a unit that never had the case, nor to an official without roles', () => {
    expect(describeChangeFor(official(['unit_leader'], OTHER), changed([LEAD]), view)).toBeNull();
    expect(describeChangeFor(official(['viewer'], OTHER), { caseId: 7, kind: 'message' }, view)).toBeNull();
    expect(describeChangeFor(official([], LEAD), changed([LEAD]), view)).toBeNull();
  });

  it("marks a case that has just come into the official's unit, and one that has left it by its id alone", () => {
    expect(describeChangeFor(official(['handler'], CO, 9), changed([LEAD]), view)).toMatchObject({ data: { entered: true } });
    expect(describeChangeFor(official(['handler'], LEAD, 9), { caseId: 7, kind: 'created' }, view)).toMatchObject({ data: { entered: true } });
    expect(describeChangeFor(official(['handler'], LEAD, 9), { caseId: 7, kind: 'message' }, view)).toMatchObject({ data: { entered: false } });
    expect(describeChangeFor(official(['handler'], OTHER), changed([OTHER]), view)).toEqual({ event: 'case', data: { caseId: 7, kind: 'changed', left: true } });
  });
});

function fakeDatabase() {
  const state: { handlers: NotificationHandlers | null; listens: number; closes: number; failNext: boolean } = {
    handlers: null,
    listens: 0,
    closes: 0,
    failNext: false,
  };
  const database = {
    db: {} as Database['db'],
    listen: async (_channel: string, handlers: NotificationHandlers) => {
      state.listens += 1;
      if (state.failNext) {
        state.failNext = false;
        throw new Error('database unreachable');
      }
      state.handlers = handlers;
      return {
        close: async () => {
          state.closes += 1;
        },
      };
    },
  };
  return { database, state };
}

describe('createCaseChangeHub', () => {
  const logger = createLogger({ level: 'silent' });

  it('listens once for every subscriber, tells them all to resync after a reconnect, and forgets those who leave', async () => {
    const { database, state } = fakeDatabase();
    const hub = createCaseChangeHub({ database, logger });
    const got: Record<string, LiveMessage[]> = { a: [], b: [] };
    const leaveA = await hub.subscribe({ actor: official(['handler'], LEAD), send: (m) => got.a!.push(m) });
    await hub.subscribe({ actor: official(['dispatcher'], OTHER), send: (m) => got.b!.push(m) });
    expect(state.listens).toBe(1);
    expect(hub.size()).toBe(2);

    state.handlers?.onReconnect?.();
    expect(got.a).toEqual([{ event: 'resync', data: {} }]);
    expect(got.b).toEqual([{ event: 'resync', data: {} }]);

    // Not a case change signal: ignored without reading the database (whose handle here has no methods).
    state.handlers?.onNotify('{"caseId":"7; drop table cases"}');
    state.handlers?.onNotify('not json');

    leaveA();
    expect(hub.size()).toBe(1);
    state.handlers?.onReconnect?.();
    expect(got.a).toHaveLength(1);
    expect(got.b).toHaveLength(2);

    await hub.close();
    expect(state.closes).toBe(1);
    expect(hub.size()).toBe(0);
    await expect(hub.subscribe({ actor: official(['handler'], LEAD), send: () => undefined })).rejects.toThrow('closed');
  });

  it('refuses a subscriber while the database cannot listen, and tries again for the next one', async () => {
    const { database, state } = fakeDatabase();
    state.failNext = true;
    const hub = createCaseChangeHub({ database, logger });
    await expect(hub.subscribe({ actor: official(['handler'], LEAD), send: () => undefined })).rejects.toThrow('database unreachable');
    expect(hub.size()).toBe(0);
    await hub.subscribe({ actor: official(['handler'], LEAD), send: () => undefined });
    expect(state.listens).toBe(2);
    expect(hub.size()).toBe(1);
    await hub.close();
  });
});

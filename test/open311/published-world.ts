import { eq, sql } from 'drizzle-orm';
import { cases } from '../../db/schema.js';
import type { World } from '../console/console-world.js';

/** A citizen's text with everything the public must not see, and markup that must stay text. */
export const HOSTILE_DESCRIPTION =
  'Tôi là Nguyễn Văn Bình, số điện thoại 0912 345 678, email binh.nguyen@example.com. ' +
  'Công trình <script>alert(1)</script> xây trái phép {{7*7}} ở ngõ 5 Hàng Bạc.';
export const ANSWER_TEXT = 'Đã liên hệ ông Nguyễn Văn Bình (0912345678) và lập biên bản đình chỉ công trình.';

/** Creates a case, answers it and publishes it through the workflows' commands, as a dispatcher would. */
export async function publishHostileCase(world: World): Promise<{ id: number; code: string }> {
  const c = await world.createCaseFor('a', { description: HOSTILE_DESCRIPTION, latitude: 21.034567, longitude: 105.852123 });
  await world.answerCase(c.id, 'a', ANSWER_TEXT);
  await world.run(c.id, world.official('dispatcher', 'a').actor, { type: 'publish', title: 'Công trình xây trái phép ở <Hàng Bạc>' });
  return c;
}

/** Marks extra cases as published straight in the table: only for paging, where the texts do not matter. */
export async function publishFillerCases(world: World, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const c = await world.createCaseFor('b', { description: `Phản ánh số ${i}`, areaUnitId: world.units.otherWard });
    await world.t.deps.database.db
      .update(cases)
      .set({ status: 'answered', publishedAt: sql`now()`, publicQuestion: `Phản ánh số ${i}`, publicAnswer: 'Đã xử lý.' })
      .where(eq(cases.id, c.id));
  }
}

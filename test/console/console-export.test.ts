import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutralizeFormula, writeCsv } from '../../console/export/csv-writer.js';
import { columnName, writeXlsx } from '../../console/export/xlsx-writer.js';
import { createTestDatabase, DRIVERS, type TestDatabase } from '../helpers/db.js';
import { ConsoleClient } from './console-client.js';
import { buildWorld, WORLD_PASSWORD, type World } from './console-world.js';
import { readZip } from './zip-reader.js';

const HOSTILE = 'Rác tràn ra đường <script>alert(1)</script>, "ngõ 5"\nvà {{7*7}}';
const FORMULA = '=HYPERLINK("http://evil.example","Bấm vào đây")';

/** The cell texts of sheet1.xml, row by row (inline strings and numbers). */
function readSheetRows(xml: string): string[][] {
  const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return [...xml.matchAll(/<row r="\d+">(.*?)<\/row>/gs)].map((row) =>
    [...(row[1] ?? '').matchAll(/<c r="[A-Z]+\d+"[^>]*?(?:\/>|>(.*?)<\/c>)/gs)].map((cell) => {
      const inner = cell[1] ?? '';
      const text = /<t[^>]*>(.*?)<\/t>/s.exec(inner)?.[1] ?? /<v>(.*?)<\/v>/s.exec(inner)?.[1] ?? '';
      return unescape(text);
    }),
  );
}

/** RFC 4180 rows of a CSV text. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return rows;
}

describe('export writers', () => {
  it('writes CSV with a BOM, CRLF, quoting and no live formulas', () => {
    const csv = writeCsv(['Mã', 'Nội dung'], [['PA-1', 'a, "b"\nc'], ['PA-2', '=1+1'], ['PA-3', null]]);
    expect(csv.startsWith('\uFEFFMã,Nội dung\r\n')).toBe(true);
    expect(parseCsv(csv.slice(1))).toEqual([['Mã', 'Nội dung'], ['PA-1', 'a, "b"\nc'], ['PA-2', "'=1+1"], ['PA-3', '']]);
    expect(neutralizeFormula('-5')).toBe("'-5");
    expect(neutralizeFormula('Phường')).toBe('Phường');
  });

  it('writes an XLSX whose ZIP and XML parts are well formed', () => {
    const file = writeXlsx({ name: 'Hồ sơ: [2026]', header: ['A', 'B'], rows: [['x < y & "z"', 42], [null, 'bell\u0007']] });
    const parts = readZip(file);
    expect([...parts.keys()].sort()).toEqual(
      ['[Content_Types].xml', '_rels/.rels', 'xl/_rels/workbook.xml.rels', 'xl/styles.xml', 'xl/workbook.xml', 'xl/worksheets/sheet1.xml'].sort(),
    );
    expect(parts.get('xl/workbook.xml')!.toString()).toContain('<sheet name="Hồ sơ   2026" sheetId="1" r:id="rId1"/>');
    const sheet = parts.get('xl/worksheets/sheet1.xml')!.toString();
    expect(sheet).toContain('<c r="A2" t="inlineStr"><is><t xml:space="preserve">x &lt; y &amp; &quot;z&quot;</t></is></c><c r="B2"><v>42</v></c>');
    expect(sheet).not.toContain('\u0007');
    expect(readSheetRows(sheet)).toEqual([['A', 'B'], ['x < y & "z"', '42'], ['', 'bell']]);
    expect([0, 25, 26, 701, 702].map(columnName)).toEqual(['A', 'Z', 'AA', 'ZZ', 'AAA']);
  });
});

describe.each(DRIVERS)('inbox export on %s', (driver) => {
  let database: TestDatabase;
  let world: World;
  let hostile: { id: number; code: string };
  let formula: { id: number; code: string };
  let otherUnit: { id: number; code: string };
  let answered: { id: number; code: string };

  beforeAll(async () => {
    database = await createTestDatabase(driver);
    world = await buildWorld(database);
    hostile = await world.createCaseFor('a', { description: HOSTILE });
    formula = await world.createCaseFor('a', { description: FORMULA });
    answered = await world.createCaseFor('a', { description: 'Đề nghị sửa đèn chiếu sáng' });
    await world.answerCase(answered.id, 'a');
    otherUnit = await world.createCaseFor('b', { description: 'Thực phẩm bẩn ở chợ' });
  });
  afterAll(async () => {
    await world?.close();
    await database?.destroy();
  });

  async function clientFor(role: 'handler' | 'dispatcher', unit: 'a' | 'b') {
    const client = new ConsoleClient(world.t.app);
    await client.login(world.official(role, unit).login, WORLD_PASSWORD);
    return client;
  }

  it('exports the filtered, scoped list as CSV in UTF-8 with a BOM', async () => {
    const client = await clientFor('handler', 'a');
    const res = await client.get('/console/inbox/export.csv?view=all');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename="ho-so-20260302.csv"');
    expect(res.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parseCsv(res.rawPayload.subarray(3).toString('utf8'));
    expect(rows[0]).toEqual([
      'Mã hồ sơ', 'Trạng thái', 'Lĩnh vực', 'Phường, xã', 'Đơn vị chủ trì', 'Người gửi', 'Kênh',
      'Ngày tiếp nhận', 'Hạn trả lời', 'Ngày trả lời', 'Trả lời đúng hạn', 'Đánh giá', 'Nội dung',
    ]);
    const byCode = new Map(rows.slice(1).map((r) => [r[0], r]));
    expect([...byCode.keys()].sort()).toEqual([hostile.code, formula.code, answered.code].sort());
    expect(byCode.get(hostile.code)).toEqual([
      hostile.code, 'Đã chuyển xử lý', 'Trật tự xây dựng', 'Phường Hoàn Kiếm', 'Sở Xây dựng', 'Người dân', 'Zalo',
      '09:00 02/03/2026', '17:30 16/03/2026', '', '', '', HOSTILE,
    ]);
    expect(byCode.get(formula.code)?.[12]).toBe(`'${FORMULA}`);
    expect(byCode.get(answered.code)?.slice(1, 2)).toEqual(['Đã trả lời']);
    expect(byCode.get(answered.code)?.[10]).toBe('Đúng hạn');
    // Contact details never leave in a file.
    expect(res.body).not.toContain('0912345678');
    expect(res.body).not.toContain('Nguyễn Văn Bình');
  });

  it('applies the same filters as the inbox', async () => {
    const client = await clientFor('dispatcher', 'a');
    const all = parseCsv((await client.get('/console/inbox/export.csv?view=all')).body.slice(1));
    expect(all.length - 1).toBe(4);
    const byCategory = parseCsv((await client.get(`/console/inbox/export.csv?view=all&categoryId=${world.categories.b}`)).body.slice(1));
    expect(byCategory.slice(1).map((r) => r[0])).toEqual([otherUnit.code]);
    const byStatus = parseCsv((await client.get('/console/inbox/export.csv?view=all&status=answered')).body.slice(1));
    expect(byStatus.slice(1).map((r) => r[0])).toEqual([answered.code]);
    const bySearch = parseCsv((await client.get('/console/inbox/export.csv?view=all&q=den%20chieu%20sang')).body.slice(1));
    expect(bySearch.slice(1).map((r) => r[0])).toEqual([answered.code]);
    // The triage tab holds only received cases; every case here was routed.
    const triage = parseCsv((await client.get('/console/inbox/export.csv?view=triage')).body.slice(1));
    expect(triage).toHaveLength(1);
    const bad = await client.get('/console/inbox/export.csv?status=khong-co');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Điều kiện lọc không hợp lệ');
  });

  it('exports the same rows as an XLSX workbook with the text kept as text', async () => {
    const client = await clientFor('handler', 'a');
    const res = await client.get('/console/inbox/export.xlsx?view=all');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers['content-disposition']).toBe('attachment; filename="ho-so-20260302.xlsx"');
    const parts = readZip(res.rawPayload);
    expect(parts.get('[Content_Types].xml')!.toString()).toContain('/xl/worksheets/sheet1.xml');
    const sheet = parts.get('xl/worksheets/sheet1.xml')!.toString('utf8');
    expect(sheet).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(sheet).not.toContain('<script>');
    expect(sheet).not.toContain('<f>');
    const rows = readSheetRows(sheet);
    expect(rows[0]?.[0]).toBe('Mã hồ sơ');
    expect(rows).toHaveLength(4);
    const hostileRow = rows.find((r) => r[0] === hostile.code);
    expect(hostileRow?.[12]).toBe(HOSTILE);
    expect(rows.find((r) => r[0] === formula.code)?.[12]).toBe(FORMULA);
    expect(rows.some((r) => r[0] === otherUnit.code)).toBe(false);
  });

  it('links the exports from the inbox with the current filters', async () => {
    const client = await clientFor('handler', 'a');
    const page = await client.get(`/console/inbox?view=all&categoryId=${world.categories.a}`);
    expect(page.body).toContain(`href="/console/inbox/export.csv?view=all&amp;categoryId=${world.categories.a}"`);
    expect(page.body).toContain(`href="/console/inbox/export.xlsx?view=all&amp;categoryId=${world.categories.a}"`);
  });
});

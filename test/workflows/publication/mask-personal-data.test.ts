import { describe, expect, it } from 'vitest';
import { MASK_PLACEHOLDERS, maskPersonalData, toInitials } from '../../../workflows/publication/mask-personal-data.js';

const PHONE = MASK_PLACEHOLDERS.phone;
const EMAIL = MASK_PLACEHOLDERS.email;
const ID = MASK_PLACEHOLDERS.idNumber;

describe('maskPersonalData', () => {
  describe('phone numbers', () => {
    it.each([
      ['0912345678', PHONE],
      ['0912 345 678', PHONE],
      ['0912.345.678', PHONE],
      ['091-234-5678', PHONE],
      ['+84912345678', PHONE],
      ['+84 912 345 678', PHONE],
      ['84912345678', PHONE],
      ['(+84) 912 345 678', PHONE],
      ['024 3825 1234', PHONE],
      ['(024) 3825 1234', PHONE],
      ['024.3825.1234', PHONE],
    ])('%s', (input, expected) => {
      expect(maskPersonalData(`Gọi ${input} giúp tôi.`)).toBe(`Gọi ${expected} giúp tôi.`);
    });

    it('leaves dates, amounts, case codes and short numbers alone', () => {
      const text = 'Ngày 01.02.2026, thu 150.000 đồng, mã PA-2026-000123, 12 hộ dân, năm 2026.';
      expect(maskPersonalData(text)).toBe(text);
    });
  });

  it('masks e-mail addresses', () => {
    expect(maskPersonalData('Email: an.nguyen+pakn@gmail.com hoặc lan@hanoi.gov.vn.')).toBe(`Email: ${EMAIL} hoặc ${EMAIL}.`);
  });

  it('masks 12-digit CCCD and 9-digit CMND numbers but not amounts of money', () => {
    expect(maskPersonalData('CCCD 001085012345, CMND số 123456789.')).toBe(`CCCD ${ID}, CMND số ${ID}.`);
    expect(maskPersonalData('Phạt 150000000 đồng')).toBe('Phạt 150000000 đồng');
  });

  describe('names', () => {
    it('turns the given names into initials, with or without accents and in any case', () => {
      const names = ['Nguyễn Văn An'];
      expect(maskPersonalData('Tôi là Nguyễn Văn An, ở phố Huế.', { names })).toBe('Tôi là N.V.A., ở phố Huế.');
      expect(maskPersonalData('Ký tên: NGUYỄN VĂN AN', { names })).toBe('Ký tên: N.V.A.');
      expect(maskPersonalData('nguyen van an phản ánh', { names })).toBe('N.V.A. phản ánh');
      expect(maskPersonalData('anh Văn An cho biết', { names })).toBe('anh V.A. cho biết');
    });

    it('matches one-word display names only as written, so common words survive', () => {
      expect(maskPersonalData('chị Lan gọi, lan can cầu bị gãy', { names: ['Lan'] })).toBe('chị L. gọi, lan can cầu bị gãy');
    });

    it('does not touch names that were not given', () => {
      expect(maskPersonalData('Ông Trần Văn Bình', { names: ['Nguyễn Văn An', null, ''] })).toBe('Ông Trần Văn Bình');
    });

    it('toInitials', () => {
      expect(toInitials('  Đặng thị  Ánh ')).toBe('Đ.T.Á.');
    });
  });

  describe('house numbers (lane and street kept)', () => {
    it.each([
      ['Nhà số 15 ngõ 3 ngách 4 phố Hàng Bạc bị ngập', 'ngõ 3 ngách 4 phố Hàng Bạc bị ngập'],
      ['Trước số nhà 27B đường Láng có ổ gà', 'Trước đường Láng có ổ gà'],
      ['tại số 12, ngõ 5 Huỳnh Thúc Kháng', 'tại ngõ 5 Huỳnh Thúc Kháng'],
      ['trước nhà 15 phố Huế', 'trước phố Huế'],
      ['số 12 Hàng Bạc', 'Hàng Bạc'],
      ['12 phố Huế', 'phố Huế'],
      ['SN 5B/12 đường Láng', 'đường Láng'],
      ['căn hộ 1205 tòa A2', 'tòa A2'],
      ['ngõ 3 ngách 4 hẻm 5 Kim Mã', 'ngõ 3 ngách 4 hẻm 5 Kim Mã'],
    ])('%s', (input, expected) => {
      expect(maskPersonalData(input)).toBe(expected);
    });

    it('keeps document numbers and counts', () => {
      const text = 'Theo Quyết định số 1207/QĐ-UBND, có số 5 hộ dân bị ảnh hưởng, nhà 3 tầng.';
      expect(maskPersonalData(text)).toBe(text);
    });
  });

  it('handles a whole citizen message', () => {
    const text =
      'Tôi là Nguyễn Văn An (0912 345 678, an@gmail.com), CCCD 001085012345, ở nhà số 15 ngõ 3 phố Huế. Rác tồn đọng 3 ngày.';
    expect(maskPersonalData(text, { names: ['Nguyễn Văn An'] })).toBe(
      `Tôi là N.V.A. (${PHONE}, ${EMAIL}), CCCD ${ID}, ở ngõ 3 phố Huế. Rác tồn đọng 3 ngày.`,
    );
  });
});

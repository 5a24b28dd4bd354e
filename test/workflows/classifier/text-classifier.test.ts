import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../../db/seeds/reference-data.js';
import { CATEGORY_LEXICON } from '../../../workflows/classifier/category-lexicon.js';
import { evaluateClassifier, hashText, splitHeldOut } from '../../../workflows/classifier/evaluate-classifier.js';
import { maskProperNames } from '../../../workflows/classifier/extract-terms.js';
import { SEED_EXAMPLES } from '../../../workflows/classifier/seed-examples.js';
import { suggestCategory } from '../../../workflows/classifier/suggest-category.js';
import { parseClassifierModel, predictTopK, trainClassifier } from '../../../workflows/classifier/text-classifier.js';

const TINY = [
  { label: 'chieu-sang', text: 'Đèn đường ngõ 5 hỏng, tối om' },
  { label: 'chieu-sang', text: 'den duong khong sang ca tuan nay' },
  { label: 'chieu-sang', text: 'Bóng đèn đường đầu ngõ bị cháy' },
  { label: 'cap-thoat-nuoc', text: 'Mất nước sinh hoạt từ sáng qua' },
  { label: 'cap-thoat-nuoc', text: 'Cống tắc, nước thải tràn ra đường' },
  { label: 'cap-thoat-nuoc', text: 'mat nuoc 2 ngay roi chua co' },
  { label: 've-sinh-moi-truong', text: 'Rác thải tồn đọng đầu ngõ ba ngày' },
  { label: 've-sinh-moi-truong', text: 'Xe rác không đến thu gom rác' },
  { label: 've-sinh-moi-truong', text: 'rac do bua bai canh ho' },
];

describe('trainClassifier / predictTopK', () => {
  const model = trainClassifier(TINY);

  it('predicts obvious examples from a tiny training set, with or without accents', () => {
    expect(predictTopK(model, 'Đèn đường nhà tôi hỏng rồi', 1)[0]?.label).toBe('chieu-sang');
    expect(predictTopK(model, 'mat nuoc tu hom qua', 1)[0]?.label).toBe('cap-thoat-nuoc');
    expect(predictTopK(model, 'Rác không ai thu gom', 1)[0]?.label).toBe('ve-sinh-moi-truong');
  });

  it('returns k sorted labels with confidences in [0, 1] summing to at most 1', () => {
    const top = predictTopK(model, 'đèn đường và rác', 3);
    expect(top).toHaveLength(3);
    for (const score of top) {
      expect(score.confidence).toBeGreaterThanOrEqual(0);
      expect(score.confidence).toBeLessThanOrEqual(1);
    }
    expect(top.map((s) => s.confidence)).toEqual([...top.map((s) => s.confidence)].sort((a, b) => b - a));
    expect(top.reduce((sum, s) => sum + s.confidence, 0)).toBeLessThanOrEqual(1 + 1e-9);
    expect(predictTopK(model, 'đèn đường', 10)).toHaveLength(3);
    expect(predictTopK(model, 'đèn đường', 10).reduce((sum, s) => sum + s.confidence, 0)).toBeCloseTo(1, 9);
  });

  it('falls back to the priors for a text with no known word', () => {
    const top = predictTopK(model, 'xyz qwerty', 3);
    expect(top).toHaveLength(3);
    expect(top[0]?.confidence).toBeLessThan(0.6);
  });

  it('is deterministic: the same examples give the same model', () => {
    expect(JSON.stringify(trainClassifier(TINY))).toBe(JSON.stringify(model));
  });

  it('round-trips through JSON with identical predictions', () => {
    const restored = parseClassifierModel(JSON.parse(JSON.stringify(model)));
    expect(restored).toEqual(model);
    for (const text of ['đèn đường hỏng', 'mất nước', 'rác']) {
      expect(predictTopK(restored, text, 3)).toEqual(predictTopK(model, text, 3));
    }
  });

  it('refuses JSON that is not a model', () => {
    expect(() => parseClassifierModel({ kind: 'tfidf-softmax' })).toThrow();
    const broken = { ...JSON.parse(JSON.stringify(model)), idf: [1] };
    expect(() => parseClassifierModel(broken)).toThrow(/do not match/);
  });

  it('refuses to train on nothing', () => {
    expect(() => trainClassifier([])).toThrow(RangeError);
  });
});

describe('maskProperNames', () => {
  it('replaces capitalised names but keeps sentence starts and acronyms', () => {
    expect(maskProperNames('Đèn đường ở Phường Hoàn Kiếm hỏng. Cây đổ ở phố Lê Duẩn, UBND chưa xử lý')).toBe(
      'Đèn đường ở zzname hỏng. Cây đổ ở phố zzname, UBND chưa xử lý',
    );
    expect(maskProperNames('Phường Văn Miếu - Quốc Tử Giám có cây đổ')).toBe('Phường zzname có cây đổ');
  });
});

describe('seed set', () => {
  const codes = CATEGORIES.map((c) => c.code);

  it('covers every category with at least 15 messages, and only known categories', () => {
    expect(SEED_EXAMPLES.length).toBeGreaterThanOrEqual(400);
    for (const code of codes) expect(SEED_EXAMPLES.filter((e) => e.label === code).length).toBeGreaterThanOrEqual(15);
    expect(new Set(SEED_EXAMPLES.map((e) => e.label))).toEqual(new Set(codes));
    expect(new Set(CATEGORY_LEXICON.map((e) => e.label))).toEqual(new Set(codes));
  });

  it('has messages of 8 to 60 words, none repeated even after folding', () => {
    for (const { text } of SEED_EXAMPLES) {
      const words = text.split(/\s+/).length;
      expect(words, text).toBeGreaterThanOrEqual(8);
      expect(words, text).toBeLessThanOrEqual(60);
    }
    expect(new Set(SEED_EXAMPLES.map((e) => hashText(e.text))).size).toBe(SEED_EXAMPLES.length);
  });

  it('includes messages typed without accents', () => {
    const accentless = SEED_EXAMPLES.filter((e) => /^[\x20-\x7e]+$/.test(e.text));
    expect(accentless.length).toBeGreaterThanOrEqual(30);
  });
});

describe('held-out evaluation', () => {
  it('splits deterministically and stratified 80/20, disjoint', () => {
    const first = splitHeldOut(SEED_EXAMPLES);
    const second = splitHeldOut([...SEED_EXAMPLES].reverse());
    expect(first.test.map((e) => e.text).sort()).toEqual(second.test.map((e) => e.text).sort());
    expect(first.train.length + first.test.length).toBe(SEED_EXAMPLES.length);
    const testTexts = new Set(first.test.map((e) => e.text));
    expect(first.train.some((e) => testTexts.has(e.text))).toBe(false);
    for (const code of CATEGORIES.map((c) => c.code)) {
      const all = SEED_EXAMPLES.filter((e) => e.label === code).length;
      const held = first.test.filter((e) => e.label === code).length;
      expect(held).toBe(Math.ceil(all / 5));
    }
  });

  it('reaches top-1 ≥ 0.85 on the held-out seed messages (trained with the lexicon)', () => {
    const metrics = evaluateClassifier(SEED_EXAMPLES, { alwaysTrain: CATEGORY_LEXICON });
    expect(metrics.n_test).toBeGreaterThanOrEqual(100);
    expect(metrics.n_train + metrics.n_test).toBe(SEED_EXAMPLES.length);
    expect(metrics.top1).toBeGreaterThanOrEqual(0.85);
    expect(metrics.top3).toBeGreaterThanOrEqual(metrics.top1);
    expect(metrics.top3).toBeGreaterThanOrEqual(0.95);
  });
});

describe('suggestCategory with a model', () => {
  it('returns category codes with confidences, and nothing for an empty text', async () => {
    const model = trainClassifier([...SEED_EXAMPLES, ...CATEGORY_LEXICON]);
    const suggestions = await suggestCategory(model, 'Cột điện đầu ngõ nghiêng sắp đổ, dây điện võng sát đầu người');
    expect(suggestions).toHaveLength(3);
    expect(suggestions[0]?.categoryCode).toBe('dien');
    expect(await suggestCategory(model, '   ')).toEqual([]);
  });
});

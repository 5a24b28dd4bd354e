import { describe, expect, it } from 'vitest';
import { fitClassifierInThread } from '../../runtime/classifier-thread.js';
import { CATEGORY_LEXICON } from '../../workflows/classifier/category-lexicon.js';
import { fitClassifier, type FitInput } from '../../workflows/classifier/retrain-classifier.js';
import { SEED_EXAMPLES } from '../../workflows/classifier/seed-examples.js';

/**
 * The nightly retrain's CPU-bound part in a thread of its own: the same evaluation and model as in the caller's
 * thread, while the caller's event loop stays free; a failing fit is an error, not a hang.
 */
describe('fitClassifierInThread', () => {
  const input: FitInput = { examples: [...SEED_EXAMPLES], lexicon: [...CATEGORY_LEXICON], trainOptions: { minDocumentFrequency: 1 } };

  it('gives the evaluation and the model fitClassifier gives, and leaves the event loop free meanwhile', async () => {
    let loopTurnedMeanwhile = false;
    const fitting = fitClassifierInThread(input).then((result) => ({ result, loopTurnedMeanwhile }));
    setImmediate(() => {
      loopTurnedMeanwhile = true;
    });
    const { result, loopTurnedMeanwhile: turned } = await fitting;
    expect(turned).toBe(true);
    expect(JSON.stringify(result)).toBe(JSON.stringify(fitClassifier(input)));
    expect(result.evaluation.metrics.top1).toBeGreaterThan(0.5);
  });

  it('rejects when the fit fails in the thread', async () => {
    // trainClassifier refuses an empty training set; the thread must report it rather than leave the caller waiting.
    await expect(fitClassifierInThread({ examples: [], lexicon: [], trainOptions: {} })).rejects.toThrow(/at least one example/);
  });
});

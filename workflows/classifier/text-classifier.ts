import { z } from 'zod';
import { DEFAULT_TERM_OPTIONS, extractTerms, type TermOptions } from './extract-terms.js';

/**
 * Multinomial logistic regression (softmax) over TF-IDF weighted syllable unigrams and bigrams.
 *
 * Why this model: a few hundred to a few tens of thousands of short texts, 17 labels, no GPU and no
 * dependency to add. A linear model over n-grams is the strong classic baseline for that size, it
 * trains in well under a second, and unlike Naive Bayes its softmax gives probabilities that are not
 * pushed to 0/1 by repeated words, so "confidence" means something to a dispatcher.
 */

export interface TrainingExample {
  text: string;
  label: string;
}

export interface LabelScore {
  label: string;
  /** Softmax probability in [0, 1]; the scores of all labels sum to 1. */
  confidence: number;
}

export interface TrainOptions {
  terms: TermOptions;
  /** L2 penalty: high enough that one rare word cannot decide a label on its own. */
  l2: number;
  /** Full-batch Adam iterations; the loss is convex, so a fixed count is deterministic and enough. */
  iterations: number;
  learningRate: number;
  /** Terms seen in fewer examples are dropped: they cannot generalise and they bloat the model. */
  minDocumentFrequency: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  terms: DEFAULT_TERM_OPTIONS,
  l2: 1e-4,
  iterations: 150,
  learningRate: 0.2,
  minDocumentFrequency: 1,
};

/** Stored as JSON in classifier_models.model; parsed with ZClassifierModel when read back. */
export interface ClassifierModel {
  kind: 'tfidf-softmax';
  version: 1;
  terms: TermOptions;
  labels: string[];
  vocabulary: string[];
  idf: number[];
  /** weights[label][term], same order as labels and vocabulary. */
  weights: number[][];
  bias: number[];
  /**
   * Logits are divided by this before the softmax. 1 after training; retraining fits it on the
   * held-out split so that "0.8" means right about 8 times in 10 (a plain L2 softmax trained on
   * few examples is under-confident).
   */
  temperature: number;
  trainedOn: number;
}

export const ZClassifierModel = z
  .object({
    kind: z.literal('tfidf-softmax'),
    version: z.literal(1),
    terms: z.object({
      bigrams: z.boolean(),
      charNgrams: z.tuple([z.number().int().positive(), z.number().int().positive()]).nullable(),
      maskNames: z.boolean(),
    }),
    labels: z.array(z.string()).min(1),
    vocabulary: z.array(z.string()),
    idf: z.array(z.number()),
    weights: z.array(z.array(z.number())),
    bias: z.array(z.number()),
    temperature: z.number().positive(),
    trainedOn: z.number().int().nonnegative(),
  })
  .refine(
    (m) =>
      m.idf.length === m.vocabulary.length &&
      m.weights.length === m.labels.length &&
      m.bias.length === m.labels.length &&
      m.weights.every((row) => row.length === m.vocabulary.length),
    { message: 'classifier model arrays do not match its labels and vocabulary' },
  );

interface SparseVector {
  indices: number[];
  values: number[];
}

/** Sublinear TF times IDF, L2-normalised, so long messages do not outweigh short ones. */
function vectorise(terms: readonly string[], termIndex: ReadonlyMap<string, number>, idf: readonly number[]): SparseVector {
  const counts = new Map<number, number>();
  for (const term of terms) {
    const index = termIndex.get(term);
    if (index !== undefined) counts.set(index, (counts.get(index) ?? 0) + 1);
  }
  const indices = [...counts.keys()].sort((a, b) => a - b);
  const values = indices.map((index) => (1 + Math.log(counts.get(index) ?? 1)) * (idf[index] ?? 0));
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  return { indices, values: norm > 0 ? values.map((v) => v / norm) : values };
}

function softmaxInPlace(scores: Float64Array): void {
  let max = -Infinity;
  for (const s of scores) max = Math.max(max, s);
  let sum = 0;
  for (let k = 0; k < scores.length; k += 1) {
    const e = Math.exp((scores[k] ?? 0) - max);
    scores[k] = e;
    sum += e;
  }
  for (let k = 0; k < scores.length; k += 1) scores[k] = (scores[k] ?? 0) / sum;
}

/** Weights are O(0.1–3); four decimals change no prediction and keep the stored JSON a fifth smaller. */
function roundWeight(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

export function trainClassifier(
  examples: readonly TrainingExample[],
  overrides: Partial<TrainOptions> = {},
): ClassifierModel {
  const options: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...overrides };
  if (examples.length === 0) throw new RangeError('trainClassifier needs at least one example');

  const labels = [...new Set(examples.map((e) => e.label))].sort();
  const labelIndex = new Map(labels.map((label, i) => [label, i]));
  const termLists = examples.map((e) => extractTerms(e.text, options.terms));

  const documentFrequency = new Map<string, number>();
  for (const terms of termLists) {
    for (const term of new Set(terms)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  }
  const vocabulary = [...documentFrequency.entries()]
    .filter(([, df]) => df >= options.minDocumentFrequency)
    .map(([term]) => term)
    .sort();
  const termIndex = new Map(vocabulary.map((term, i) => [term, i]));
  const n = examples.length;
  // Smoothed IDF, as scikit-learn: never zero, so a term present everywhere still counts a little.
  const idf = vocabulary.map((term) => Math.log((1 + n) / (1 + (documentFrequency.get(term) ?? 0))) + 1);
  const vectors = termLists.map((terms) => vectorise(terms, termIndex, idf));
  const targets = examples.map((e) => labelIndex.get(e.label) ?? 0);

  const K = labels.length;
  const F = vocabulary.length;
  const weights = new Float64Array(K * F);
  const bias = new Float64Array(K);
  const gradW = new Float64Array(K * F);
  const gradB = new Float64Array(K);
  const m1 = new Float64Array(K * F);
  const m2 = new Float64Array(K * F);
  const b1 = new Float64Array(K);
  const b2 = new Float64Array(K);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const epsilon = 1e-8;
  const scores = new Float64Array(K);

  for (let step = 1; step <= options.iterations; step += 1) {
    gradW.fill(0);
    gradB.fill(0);
    for (let i = 0; i < n; i += 1) {
      const vector = vectors[i] as SparseVector;
      for (let k = 0; k < K; k += 1) {
        let s = bias[k] ?? 0;
        const row = k * F;
        for (let j = 0; j < vector.indices.length; j += 1) s += (weights[row + (vector.indices[j] ?? 0)] ?? 0) * (vector.values[j] ?? 0);
        scores[k] = s;
      }
      softmaxInPlace(scores);
      const target = targets[i] ?? 0;
      for (let k = 0; k < K; k += 1) {
        const delta = ((scores[k] ?? 0) - (k === target ? 1 : 0)) / n;
        gradB[k] = (gradB[k] ?? 0) + delta;
        const row = k * F;
        for (let j = 0; j < vector.indices.length; j += 1) {
          const at = row + (vector.indices[j] ?? 0);
          gradW[at] = (gradW[at] ?? 0) + delta * (vector.values[j] ?? 0);
        }
      }
    }
    const correction1 = 1 - beta1 ** step;
    const correction2 = 1 - beta2 ** step;
    for (let at = 0; at < K * F; at += 1) {
      const g = (gradW[at] ?? 0) + options.l2 * (weights[at] ?? 0);
      m1[at] = beta1 * (m1[at] ?? 0) + (1 - beta1) * g;
      m2[at] = beta2 * (m2[at] ?? 0) + (1 - beta2) * g * g;
      weights[at] = (weights[at] ?? 0) - (options.learningRate * ((m1[at] ?? 0) / correction1)) / (Math.sqrt((m2[at] ?? 0) / correction2) + epsilon);
    }
    for (let k = 0; k < K; k += 1) {
      const g = gradB[k] ?? 0;
      b1[k] = beta1 * (b1[k] ?? 0) + (1 - beta1) * g;
      b2[k] = beta2 * (b2[k] ?? 0) + (1 - beta2) * g * g;
      bias[k] = (bias[k] ?? 0) - (options.learningRate * ((b1[k] ?? 0) / correction1)) / (Math.sqrt((b2[k] ?? 0) / correction2) + epsilon);
    }
  }

  return {
    kind: 'tfidf-softmax',
    version: 1,
    terms: options.terms,
    labels,
    vocabulary,
    idf: idf.map(roundWeight),
    weights: labels.map((_, k) => Array.from(weights.subarray(k * F, (k + 1) * F), roundWeight)),
    bias: Array.from(bias, roundWeight),
    temperature: 1,
    trainedOn: n,
  };
}

/** Term lookups built once per model object, not once per prediction. */
const termIndexCache = new WeakMap<ClassifierModel, Map<string, number>>();

function readTermIndex(model: ClassifierModel): Map<string, number> {
  let index = termIndexCache.get(model);
  if (!index) {
    index = new Map(model.vocabulary.map((term, i) => [term, i]));
    termIndexCache.set(model, index);
  }
  return index;
}

/** Raw scores (before temperature and softmax), in the order of model.labels. */
export function computeLogits(model: ClassifierModel, text: string): Float64Array {
  const vector = vectorise(extractTerms(text, model.terms), readTermIndex(model), model.idf);
  const logits = new Float64Array(model.labels.length);
  model.labels.forEach((_, k) => {
    const row = model.weights[k] ?? [];
    let s = model.bias[k] ?? 0;
    for (let j = 0; j < vector.indices.length; j += 1) s += (row[vector.indices[j] ?? 0] ?? 0) * (vector.values[j] ?? 0);
    logits[k] = s;
  });
  return logits;
}

/** Softmax of logits / temperature, in place. */
export function applyTemperatureSoftmax(logits: Float64Array, temperature: number): Float64Array {
  for (let k = 0; k < logits.length; k += 1) logits[k] = (logits[k] ?? 0) / temperature;
  softmaxInPlace(logits);
  return logits;
}

/** Probabilities of every label, highest first. */
export function predictAll(model: ClassifierModel, text: string): LabelScore[] {
  const scores = applyTemperatureSoftmax(computeLogits(model, text), model.temperature);
  return model.labels
    .map((label, k) => ({ label, confidence: scores[k] ?? 0 }))
    .sort((a, b) => b.confidence - a.confidence || a.label.localeCompare(b.label));
}

/** The k most probable labels with their probabilities (sorted, each in [0,1], summing to at most 1). */
export function predictTopK(model: ClassifierModel, text: string, k = 3): LabelScore[] {
  return predictAll(model, text).slice(0, Math.max(0, k));
}

/** Reads a model stored as JSON; throws a ZodError on anything that is not one. */
export function parseClassifierModel(json: unknown): ClassifierModel {
  return ZClassifierModel.parse(json);
}

import { foldVietnamese } from '../text/fold-vietnamese.js';
import {
  applyTemperatureSoftmax,
  computeLogits,
  predictTopK,
  trainClassifier,
  type TrainingExample,
  type TrainOptions,
} from './text-classifier.js';

export interface ClassifierMetrics {
  /** Share of held-out texts whose true label is the first suggestion. */
  top1: number;
  /** Share whose true label is among the three suggestions (what the dispatcher sees). */
  top3: number;
  n_train: number;
  n_test: number;
}

/** FNV-1a, 32 bits: stable across runs, platforms and Node versions, unlike iteration order or Math.random. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (const char of foldVietnamese(text)) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Deterministic stratified split: within each label, texts ordered by hash, and every fifth one
 * (positions 0, 5, 10, …) held out. Each label keeps ~20 % in the test part and the split does not
 * move when unrelated examples are added elsewhere. Folding before hashing keeps a text and its
 * accent-less copy on the same side, so a copy cannot leak the answer into the test.
 */
export function splitHeldOut<T extends TrainingExample>(examples: readonly T[], testShare = 0.2): { train: T[]; test: T[] } {
  const stride = Math.max(2, Math.round(1 / testShare));
  const byLabel = new Map<string, T[]>();
  for (const example of examples) {
    const list = byLabel.get(example.label) ?? [];
    list.push(example);
    byLabel.set(example.label, list);
  }
  const train: T[] = [];
  const test: T[] = [];
  for (const label of [...byLabel.keys()].sort()) {
    const ordered = (byLabel.get(label) ?? [])
      .map((example) => ({ example, hash: hashText(example.text) }))
      .sort((a, b) => a.hash - b.hash || a.example.text.localeCompare(b.example.text));
    ordered.forEach(({ example }, position) => (position % stride === 0 && ordered.length > 1 ? test : train).push(example));
  }
  return { train, test };
}

export interface EvaluateOptions {
  /** Documents always trained on and never tested, such as the category lexicon. */
  alwaysTrain?: readonly TrainingExample[];
  train?: Partial<TrainOptions>;
}

/** Metrics plus the model trained on the train part, whose held-out predictions fit the temperature. */
export interface HeldOutEvaluation {
  metrics: ClassifierMetrics;
  /** Temperature that minimises the held-out log-loss (see ClassifierModel.temperature). */
  temperature: number;
  /** Mean top-1 confidence on the held-out part after that temperature: compare with top1. */
  meanConfidence: number;
}

const TEMPERATURE_GRID = Array.from({ length: 61 }, (_, i) => 0.05 * 1.07 ** i); // 0.05 … ~2.9

function measureLogLoss(logits: readonly Float64Array[], targets: readonly number[], temperature: number): number {
  let loss = 0;
  logits.forEach((row, i) => {
    const probabilities = applyTemperatureSoftmax(Float64Array.from(row), temperature);
    loss -= Math.log(Math.max(probabilities[targets[i] ?? 0] ?? 0, 1e-12));
  });
  return loss / Math.max(1, logits.length);
}

/**
 * Trains on the train part of the split (plus alwaysTrain) and measures top-1 / top-3 accuracy on
 * the held-out part; also fits the softmax temperature on the same held-out predictions. The
 * temperature is monotonic, so it never changes top-1 or top-3.
 */
export function evaluateHeldOut(examples: readonly TrainingExample[], options: EvaluateOptions = {}): HeldOutEvaluation {
  const { train, test } = splitHeldOut(examples);
  const model = trainClassifier([...train, ...(options.alwaysTrain ?? [])], options.train);
  const labelIndex = new Map(model.labels.map((label, k) => [label, k]));
  let top1 = 0;
  let top3 = 0;
  const logits: Float64Array[] = [];
  const targets: number[] = [];
  for (const example of test) {
    const predicted = predictTopK(model, example.text, 3).map((s) => s.label);
    if (predicted[0] === example.label) top1 += 1;
    if (predicted.includes(example.label)) top3 += 1;
    const target = labelIndex.get(example.label);
    // A label absent from the train part cannot be predicted; it counts as a miss above but would
    // make the log-loss infinite for every temperature.
    if (target !== undefined) {
      logits.push(computeLogits(model, example.text));
      targets.push(target);
    }
  }
  let temperature = 1;
  let bestLoss = measureLogLoss(logits, targets, 1);
  for (const candidate of TEMPERATURE_GRID) {
    const loss = measureLogLoss(logits, targets, candidate);
    if (loss < bestLoss - 1e-9) {
      bestLoss = loss;
      temperature = candidate;
    }
  }
  const meanConfidence =
    logits.reduce((sum, row) => sum + Math.max(...applyTemperatureSoftmax(Float64Array.from(row), temperature)), 0) /
    Math.max(1, logits.length);
  const nTest = test.length;
  return {
    metrics: {
      top1: nTest > 0 ? top1 / nTest : 0,
      top3: nTest > 0 ? top3 / nTest : 0,
      n_train: train.length,
      n_test: nTest,
    },
    temperature: Math.round(temperature * 1e4) / 1e4,
    meanConfidence,
  };
}

/** Top-1 / top-3 accuracy of a model trained on the deterministic 80 % split, tested on the other 20 %. */
export function evaluateClassifier(examples: readonly TrainingExample[], options: EvaluateOptions = {}): ClassifierMetrics {
  return evaluateHeldOut(examples, options).metrics;
}

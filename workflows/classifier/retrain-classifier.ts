import { desc, lt, sql } from 'drizzle-orm';
import { categories, classifierModels } from '../../db/schema.js';
import { queryRows, type Queryable } from '../../runtime/db.js';
import { CATEGORY_LEXICON } from './category-lexicon.js';
import { evaluateHeldOut, type HeldOutEvaluation } from './evaluate-classifier.js';
import { SEED_EXAMPLES } from './seed-examples.js';
import { trainClassifier, ZClassifierModel, type ClassifierModel, type TrainingExample, type TrainOptions } from './text-classifier.js';

/** Stored in classifier_models.metrics (numbers only) and returned by retrainFromDatabase. */
// A type alias, not an interface: it must fit the Record<string, number> of the metrics column.
export type RetrainMetrics = {
  model_id: number;
  top1: number;
  top3: number;
  n_train: number;
  n_test: number;
  /** Hand-written seed messages and city cases in the data set that was split. */
  n_seed: number;
  n_city: number;
  /** Lexicon phrases, always trained on, never tested. */
  n_lexicon: number;
  temperature: number;
  /** Mean top-1 confidence on the held-out part: close to top1 when the confidences are calibrated. */
  mean_confidence: number;
  vocabulary: number;
  training_ms: number;
};

/** What the CPU-bound part of a retrain works on: plain data, so it can run in another thread. */
export interface FitInput {
  examples: TrainingExample[];
  /** Always trained on, never tested. */
  lexicon: TrainingExample[];
  trainOptions: Partial<TrainOptions>;
}

export interface FitResult {
  evaluation: HeldOutEvaluation;
  model: ClassifierModel;
}

/**
 * The held-out evaluation (metrics and calibrated temperature), then the model trained on everything with that
 * temperature. Seconds of CPU with the city's cases: the scheduler runs it off the event loop
 * (runtime/classifier-thread.ts).
 */
export function fitClassifier({ examples, lexicon, trainOptions }: FitInput): FitResult {
  const evaluation = evaluateHeldOut(examples, { alwaysTrain: lexicon, train: trainOptions });
  const model: ClassifierModel = { ...trainClassifier([...examples, ...lexicon], trainOptions), temperature: evaluation.temperature };
  return { evaluation, model };
}

export interface RetrainOptions {
  /** Runs fitClassifier; by default in this thread. */
  fit?: (input: FitInput) => FitResult | Promise<FitResult>;
  /** Most recent answered/closed cases used; bounds the nightly training time (~linear in it). */
  maxCityCases?: number;
  /** Older model rows beyond this many are deleted: each is up to a few MB of JSON. */
  keepModels?: number;
}

/**
 * The city's own answered and closed cases, newest first, labelled with their category code.
 * Title and description together, since the dispatcher categorised on both.
 */
export async function readCityTrainingExamples(q: Queryable, limit: number): Promise<TrainingExample[]> {
  const rows = await queryRows<{ text: string; label: string }>(
    q,
    sql`select trim(coalesce(c.title, '') || ' ' || c.description) as text, k.code as label
        from cases c
        join categories k on k.id = c.category_id
        where c.status in ('answered', 'closed')
        order by c.received_at desc, c.id desc
        limit ${limit}`,
  );
  return rows.filter((row) => row.text.length > 0);
}

/**
 * Retrains the category classifier on the seed set plus the city's answered/closed cases, stores
 * the model with its metrics, and returns the metrics. Metrics come from a model trained on the
 * deterministic 80 % split and tested on the other 20 %; the stored model is then trained on
 * everything. Meant to run nightly; the caller owns scheduling and locking.
 */
export async function retrainFromDatabase(q: Queryable, now: Date, options: RetrainOptions = {}): Promise<RetrainMetrics> {
  const startedAt = performance.now();
  const maxCityCases = options.maxCityCases ?? 20_000;
  const keepModels = options.keepModels ?? 10;

  // A category the city switched off must not be suggested any more, whatever the seed set says.
  const inactive = new Set(
    (await q.select({ code: categories.code, active: categories.active }).from(categories)).filter((c) => !c.active).map((c) => c.code),
  );
  const isActive = (example: TrainingExample) => !inactive.has(example.label);
  const seed = SEED_EXAMPLES.filter(isActive);
  const city = (await readCityTrainingExamples(q, maxCityCases)).filter(isActive);
  const lexicon = CATEGORY_LEXICON.filter(isActive);
  const examples = [...seed, ...city];

  // Past a few thousand messages, terms seen once are mostly typos and names, and they bloat the JSON.
  const trainOptions = { minDocumentFrequency: examples.length > 3_000 ? 2 : 1 };
  const { evaluation, model } = await (options.fit ?? fitClassifier)({ examples, lexicon, trainOptions });

  const metrics: Omit<RetrainMetrics, 'model_id'> = {
    ...evaluation.metrics,
    n_seed: seed.length,
    n_city: city.length,
    n_lexicon: lexicon.length,
    temperature: evaluation.temperature,
    mean_confidence: Math.round(evaluation.meanConfidence * 1e4) / 1e4,
    vocabulary: model.vocabulary.length,
    training_ms: Math.round(performance.now() - startedAt),
  };
  const [inserted] = await q.insert(classifierModels).values({ trainedAt: now, model, metrics }).returning({ id: classifierModels.id });
  const modelId = inserted?.id ?? 0;

  const kept = await q.select({ id: classifierModels.id }).from(classifierModels).orderBy(desc(classifierModels.id)).limit(keepModels);
  const oldestKept = kept.at(-1)?.id;
  if (oldestKept !== undefined && kept.length === keepModels) {
    await q.delete(classifierModels).where(lt(classifierModels.id, oldestKept));
  }
  return { model_id: modelId, ...metrics };
}

export interface StoredModel {
  id: number;
  trainedAt: Date;
  model: ClassifierModel;
  metrics: Record<string, number>;
}

/**
 * The most recently trained model, or null when there is none or the newest row cannot be read
 * (written by an older format): a stale model must not break triage, and the next retrain fixes it.
 */
export async function loadLatestModel(q: Queryable): Promise<StoredModel | null> {
  const [row] = await q
    .select()
    .from(classifierModels)
    .orderBy(desc(classifierModels.trainedAt), desc(classifierModels.id))
    .limit(1);
  if (!row) return null;
  const parsed = ZClassifierModel.safeParse(row.model);
  if (!parsed.success) return null;
  return { id: row.id, trainedAt: row.trainedAt, model: parsed.data, metrics: row.metrics };
}

/** Id of the newest model row, without reading its (large) JSON. */
export async function readLatestModelId(q: Queryable): Promise<number | null> {
  const [row] = await q
    .select({ id: classifierModels.id })
    .from(classifierModels)
    .orderBy(desc(classifierModels.trainedAt), desc(classifierModels.id))
    .limit(1);
  return row?.id ?? null;
}

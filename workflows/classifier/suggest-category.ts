import type { Queryable } from '../../runtime/db.js';
import { CATEGORY_LEXICON } from './category-lexicon.js';
import { loadLatestModel, readLatestModelId } from './retrain-classifier.js';
import { SEED_EXAMPLES } from './seed-examples.js';
import { predictTopK, trainClassifier, type ClassifierModel } from './text-classifier.js';

export interface CategorySuggestion {
  categoryCode: string;
  /** Calibrated probability in [0, 1]; the suggestions of one text sum to at most 1. */
  confidence: number;
}

/**
 * Temperature of the seed-only model, as fitted on the held-out split by the bench
 * (bench/classifier.bench.ts prints it); the database model carries its own fitted value.
 */
const SEED_MODEL_TEMPERATURE = 0.38;

let seedModel: ClassifierModel | undefined;

/**
 * The model used before the first nightly retrain has stored one: seed set plus lexicon. Trained
 * on first use (about a second) and kept for the life of the process.
 */
export function readSeedModel(): ClassifierModel {
  seedModel ??= { ...trainClassifier([...SEED_EXAMPLES, ...CATEGORY_LEXICON]), temperature: SEED_MODEL_TEMPERATURE };
  return seedModel;
}

/** Per database handle: the id of the newest stored model and that model, so each call reads one id, not MBs of JSON. */
const storedModelCache = new WeakMap<object, { id: number; model: ClassifierModel }>();

async function readCurrentModel(q: Queryable): Promise<ClassifierModel> {
  const latestId = await readLatestModelId(q);
  if (latestId === null) return readSeedModel();
  const cached = storedModelCache.get(q);
  if (cached?.id === latestId) return cached.model;
  const stored = await loadLatestModel(q);
  if (!stored) return readSeedModel();
  storedModelCache.set(q, { id: stored.id, model: stored.model });
  return stored.model;
}

function isClassifierModel(source: Queryable | ClassifierModel): source is ClassifierModel {
  return (source as Partial<ClassifierModel>).kind === 'tfidf-softmax';
}

/**
 * The k most probable categories for a citizen's text, from the given model or from the newest
 * model stored in the database (the seed model while there is none). Empty for a text with no
 * words, so the console shows no suggestion rather than the most frequent category.
 */
export async function suggestCategory(source: Queryable | ClassifierModel, text: string, k = 3): Promise<CategorySuggestion[]> {
  if (!/[\p{L}\p{N}]/u.test(text)) return [];
  const model = isClassifierModel(source) ? source : await readCurrentModel(source);
  return predictTopK(model, text, k).map(({ label, confidence }) => ({ categoryCode: label, confidence }));
}

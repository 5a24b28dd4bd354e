import { parentPort, workerData } from 'node:worker_threads';
import { fitClassifier, type FitInput } from '../workflows/classifier/retrain-classifier.js';

/** Thread entry of fitClassifierInThread (runtime/classifier-thread.ts): one fit, one message, then exit. */
parentPort?.postMessage(fitClassifier(workerData as FitInput));

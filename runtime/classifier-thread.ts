import { Worker } from 'node:worker_threads';
import type { FitInput, FitResult } from '../workflows/classifier/retrain-classifier.js';

const WORKER_ENTRY = new URL('./classifier-fit.worker.ts', import.meta.url).href;
/**
 * The thread registers tsx's loader itself before importing its TypeScript entry: on Node 20 a worker does not get
 * the parent's `--import` hooks in time for its own entry file, under `tsx` as under vitest.
 */
const BOOTSTRAP = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER_ENTRY)}); })`;

/**
 * fitClassifier in a thread of its own: the nightly retrain is seconds of CPU (more with the city's cases), which
 * on the event loop held every webhook answer, console page and job of the process, and its readiness, that long.
 */
export function fitClassifierInThread(input: FitInput): Promise<FitResult> {
  return new Promise<FitResult>((resolve, reject) => {
    let settled = false;
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: input });
    worker.once('message', (result: FitResult) => {
      settled = true;
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`classifier thread exited with code ${code} before giving a result`));
    });
  });
}

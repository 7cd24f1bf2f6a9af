/** A worker thread of `vigil sim --whole --jobs N`: runs its share of the seeds, sends back the outcomes. */
import { parentPort, workerData } from 'node:worker_threads';
import { runSeedsHere, type WholeSeedsOptions } from './run.js';

const { o, seeds } = workerData as { o: WholeSeedsOptions; seeds: number[] };
parentPort?.postMessage(runSeedsHere(o, seeds));

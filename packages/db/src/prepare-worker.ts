/**
 * Worker thread of PreparePool: receives batches of raw keys, answers with prepared keys or
 * rejections, in order. Pure CPU, no database.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PrepareOptions, prepareKeyBytes } from './prepare';

const opts = workerData as PrepareOptions;

parentPort!.on('message', (msg: { id: number; keys: Buffer[] }) => {
  const results = msg.keys.map((k) => prepareKeyBytes(Buffer.from(k.buffer, k.byteOffset, k.byteLength), opts));
  parentPort!.postMessage({ id: msg.id, results });
});

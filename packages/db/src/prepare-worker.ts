/**
 * Worker thread of PreparePool: receives batches of raw keys (packed in one buffer), answers with
 * prepared keys or rejections, in order, their bytes in one transferred buffer. Pure CPU, no
 * database.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PrepareOptions, prepareKeyBytes } from './prepare';
import { gatherBytes, PackedKeys, unpackKeys } from './transfer';

const opts = workerData as PrepareOptions;

parentPort!.on('message', (msg: { id: number; keys: PackedKeys }) => {
  const results = unpackKeys(msg.keys).map((k) => prepareKeyBytes(k, opts));
  // one transferred buffer for the whole answer (transfer.ts)
  const arena = gatherBytes(results);
  parentPort!.postMessage({ id: msg.id, results }, [arena]);
});

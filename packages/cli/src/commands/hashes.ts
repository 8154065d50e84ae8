/** `dkeyserv hashes`: every stored SKS key hash, lowercase hex, one per line, ascending. */
import { KeyStore } from '@dkeyserv/db';
import { Writable } from 'node:stream';

export async function writeHashes(store: KeyStore, out: Writable): Promise<number> {
  let n = 0;
  let chunk: string[] = [];
  const flush = async () => {
    if (!out.write(chunk.join(''))) await new Promise((r) => out.once('drain', r));
    chunk = [];
  };
  for (const h of store.hashes()) {
    chunk.push(h.toString('hex') + '\n');
    n++;
    if (chunk.length >= 4096) await flush();
  }
  await flush();
  return n;
}

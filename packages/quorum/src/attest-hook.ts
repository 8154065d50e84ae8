/**
 * Attesting as keys are stored (docs/architecture.md §4, docs/quorum.md §5): a key-store hook that
 * signs this node's attestation of every new key version it validated itself and keeps it in the
 * attestation store, inside the ingest transaction, so a stored version and its attestation
 * commit together.
 *
 * "Validated" means what ingest already established before the hook runs: parsed, within the
 * limits, normalised, self-signatures verified; the node signs only versions it would serve, that
 * is with at least one User ID its owner certified or revoked (the rule of hkp's presentKey).
 * v3 keys are never attested: their MD5 fingerprints can be forged.
 */
import type { KeyStore, KeyStoreHooks } from '@dkeyserv/db';
import { flattenKey, hasServedUserId, KeyValidity, PublicKey } from '@dkeyserv/pgp';
import { PolicyError, QuorumError } from './errors';
import { NodeIdentity } from './identity';
import { packetsSha256 } from './key-digest';
import { QuorumPolicy } from './policy';
import { decodeStatement, FINGERPRINT_LENGTHS } from './statement';
import { AttestationStore } from './store';


/** Whether this node attests this stored version: servable and with an attestable fingerprint. */
function attestable(fpr: Buffer, key: PublicKey, validity: KeyValidity): boolean {
  return FINGERPRINT_LENGTHS.includes(fpr.length) && hasServedUserId(key, validity);
}

/** The hook that makes this node attest each version it stores (see attachAttestor). */
export function attestorHooks(attestations: AttestationStore, identity: NodeIdentity, now: () => number = Date.now): KeyStoreHooks {
  return {
    onKeyChanged(change) {
      if (!attestable(change.fpr, change.key, change.record.validity)) return;
      attestations.attest(identity, { fingerprint: change.fpr, keyHash: change.newHash, packetsSha256: packetsSha256(flattenKey(change.key)) }, now());
    },
  };
}

/**
 * Make `keyStore` attest every key version it stores from now on, as `identity` under `policy`
 * (which must be the attestation store's, with this node a member: otherwise PolicyError).
 */
export function attachAttestor(keyStore: KeyStore, attestations: AttestationStore, identity: NodeIdentity, policy: QuorumPolicy, now: () => number = Date.now): void {
  if (!policy.hash.equals(attestations.policy.hash)) throw new PolicyError('policy-mismatch', `the attestation store runs policy ${attestations.policy}, not ${policy}`);
  if (!policy.member(identity.id)) throw new PolicyError('not-a-member', `this node (${identity.idText}) is not a member of quorum policy ${policy}: add its key to [[quorum.member]]`);
  keyStore.addHooks(attestorHooks(attestations, identity, now));
}

/**
 * Attest every stored version this node has not attested yet — keys stored before quorum mode was
 * switched on, or under another policy — in transactions of `batch` keys. Returns how many.
 * A mark per (policy, node) remembers the change-log position checked last, so a restart only
 * looks at the keys changed since, not at the whole store.
 */
export function attestStored(keyStore: KeyStore, attestations: AttestationStore, identity: NodeIdentity, now: () => number = Date.now, batch = 1000): number {
  const marks = keyStore.openDatabase('attest-mark');
  if (!marks) throw new QuorumError('read-only', 'cannot attest in a read-only key store');
  const markKey = Buffer.concat([attestations.policy.hash, identity.id]);
  const mark = marks.get(markKey);
  const upTo = keyStore.changeSeq();
  // first find them (reading), then attest in write transactions
  const candidates: Buffer[] = [];
  if (mark === undefined) for (const record of keyStore.records()) candidates.push(Buffer.from(record.fpr));
  else {
    const seen = new Set<string>();
    for (const [, change] of keyStore.changes(Number(Buffer.from(mark).readBigUInt64BE()))) {
      const fpr = Buffer.from(change.fpr);
      if (!seen.has(fpr.toString('hex'))) {
        seen.add(fpr.toString('hex'));
        candidates.push(fpr);
      }
    }
  }
  const todo = candidates.filter((fpr) => {
    const record = keyStore.get(fpr);
    const mine = record && attestations.latest(identity.id, fpr);
    return record && !(mine && decodeStatement(mine.statement).keyHash.equals(Buffer.from(record.hash)));
  });
  let n = 0;
  for (let i = 0; i < todo.length; i += batch) {
    keyStore.transaction(() => {
      for (const fpr of todo.slice(i, i + batch)) {
        const record = keyStore.get(fpr);
        if (!record) continue;
        const key = keyStore.parseRecord(record);
        if (!attestable(fpr, key, record.validity)) continue;
        attestations.attest(identity, { fingerprint: fpr, keyHash: Buffer.from(record.hash), packetsSha256: packetsSha256(flattenKey(key)) }, now());
        n++;
      }
    });
  }
  const seq = Buffer.alloc(8);
  seq.writeBigUInt64BE(BigInt(upTo));
  keyStore.transaction(() => marks.putSync(markKey, seq));
  return n;
}

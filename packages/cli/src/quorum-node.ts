/**
 * Quorum mode wired together (docs/quorum.md §7, docs/architecture.md §4): the attestation store
 * with its recon tree over attestation ids, the archive of versions the quorum may serve, the
 * attestor hook, the extra recon set members reconcile with each other, and what HKP serves
 * (docs/quorum.md §10). `dkeyserv fsck` checks the attestation tree (`commands/fsck.ts`).
 */
import type { KeyRecord, KeyStore } from '@dkeyserv/db';
import type { QuorumServing, QuorumStatsView, QuorumVersionView } from '@dkeyserv/hkp';
import { Bitstring, ExtraSet, PrefixTree } from '@dkeyserv/recon';
import { AcceptedVersions, attachAttestor, AttestationStore, KeyVersion, loadOrCreateIdentity, makeProof, NodeIdentity, proofToJson, QuorumPolicy } from '@dkeyserv/quorum';

/** The recon Config entry quorum members advertise: the policy hash (hex). Peers of another policy, and SKS, never match it. */
export const QUORUM_CONFIG_KEY = 'dkeyserv quorum';

/** Most recently changed keys the stats page checks for pending versions. */
const PENDING_SCAN = 1000;
const PENDING_SHOWN = 50;

export interface QuorumNode {
  policy: QuorumPolicy;
  identity: NodeIdentity;
  attestations: AttestationStore;
  versions: AcceptedVersions;
  /** the recon tree over the ids of the attestation set */
  tree: PrefixTree;
}

/** Open quorum mode on a writable store: every ingest from now on attests and archives. */
export function openQuorum(store: KeyStore, dataDir: string, policy: QuorumPolicy): QuorumNode {
  const attestations = AttestationStore.open(store, policy);
  const identity = loadOrCreateIdentity(dataDir);
  const db = store.openDatabase('attest-ptree')!;
  const tree = new PrefixTree(db);
  attestations.attachSet('attest-ptree', {
    added: (id) => void tree.insert(id),
    removed: (id) => void tree.remove(id),
    rebuild: (ids) => void tree.rebuild(ids),
  });
  // the archive hook first: it must see the replaced version's attestations before this node's new one
  const versions = AcceptedVersions.open(store, attestations);
  store.addHooks(versions.hooks());
  attachAttestor(store, attestations, identity, policy);
  return { policy, identity, attestations, versions, tree };
}

/** The attestation set as recon's extra set: reconciled only with members of the same policy. */
export function attestationSet(node: QuorumNode, store: KeyStore): ExtraSet {
  return {
    name: 'attestations',
    configKey: QUORUM_CONFIG_KEY,
    configValue: node.policy.hash.toString('hex'),
    tree: node.tree,
    path: '/pks/x-attestations',
    ingest: (elements) => store.transaction(() => void elements.forEach((e) => node.attestations.addWire(e))),
    has: (id) => node.attestations.getWire(id) !== undefined,
  };
}

function versionView(v: KeyVersion): QuorumVersionView {
  return {
    keyHash: v.keyHash.toString('hex'),
    members: v.members,
    attested: v.timestamps.map((t) => new Date(t).toISOString()),
    quorumTime: v.quorumTime === undefined ? undefined : new Date(v.quorumTime).toISOString(),
  };
}

/** What HKP serves in quorum mode. */
export function quorumServing(node: QuorumNode, store: KeyStore): QuorumServing {
  const { policy, attestations, versions } = node;
  return {
    served: (record) => versions.served(record),
    seq: () => attestations.seq(),
    proof(fpr) {
      const a = versions.acceptedPackets(fpr);
      return a && { ...proofToJson(makeProof(policy, a.version)), members: a.version.members, key: a.packets.toString('base64') };
    },
    attestations: (ids) => ids.map((id) => attestations.getWire(id)).filter((a): a is Buffer => a !== undefined),
    keyStatus(record: KeyRecord) {
      const s = versions.status(record);
      return { policy: `${policy.name} v${policy.version}`, n: policy.n, k: policy.k, accepted: s.accepted && versionView(s.accepted), revocationsAdded: s.revocationsAdded, pending: s.pending.map(versionView) };
    },
    stats(): QuorumStatsView {
      const pending: QuorumStatsView['pending'] = [];
      const seen = new Set<string>();
      let scanned = 0;
      for (const [, change] of store.recentChanges()) {
        if (++scanned > PENDING_SCAN || pending.length >= PENDING_SHOWN) break;
        const fpr = Buffer.from(change.fpr);
        if (seen.has(fpr.toString('hex'))) continue;
        seen.add(fpr.toString('hex'));
        for (const v of attestations.pending(fpr)) pending.push({ fingerprint: fpr.toString('hex').toUpperCase(), keyHash: v.keyHash.toString('hex'), members: v.members });
      }
      return {
        policy: { name: policy.name, version: policy.version, hash: policy.hash.toString('hex'), n: policy.n, k: policy.k, members: policy.members.map((m) => ({ name: m.name, id: m.key.toString('base64') })) },
        nodeId: node.identity.idText,
        attestations: node.tree.node(Bitstring.EMPTY)!.size,
        pending,
        evidence: attestations.evidence().map((e) => ({ member: e.member, signer: e.signer.toString('base64'), fingerprint: e.fingerprint.toString('hex').toUpperCase() })),
        dropped: attestations.dropped(),
      };
    },
  };
}

/**
 * What a quorum member serves (docs/quorum.md §8, §9): the newest accepted version of each
 * key — not simply the newest stored one — plus the owner's revocations of anything in it.
 *
 * The key store keeps only the newest version of a key, so a version that members attested is
 * archived when a newer one replaces it (in the same transaction, by a key-store hook): it may be,
 * or may still become, the accepted one while the newer one waits for its quorum. The archive is
 * pruned of versions the quorum no longer needs each time the key changes.
 *
 * Archive layout (database `attest-versions`): len(fpr) fpr keyHash(16) → the version's packets.
 */
import type { KeyRecord, KeyStore, KeyStoreHooks } from '@dkeyserv/db';
import { flattenKey, joinPackets, parseKey, splitPackets, verifySelfSignatures, withSelfRevocations } from '@dkeyserv/pgp';
import { QuorumError } from './errors';
import { keyVersionDigests, packetsSha256 } from './key-digest';
import { BinaryDatabase, fprPart, prefixRange } from './keyspace';
import { AttestationStore, KeyVersion } from './store';


/** A stored key as the quorum sees it. */
export interface QuorumKeyStatus {
  /** the version served (accepted), if any */
  accepted?: KeyVersion;
  /** whether the served bytes add the owner's revocations from a newer, not yet accepted version */
  revocationsAdded: boolean;
  /** versions short of quorum that the accepted one does not supersede */
  pending: KeyVersion[];
}

export class AcceptedVersions {
  private constructor(
    private readonly keyStore: KeyStore,
    readonly attestations: AttestationStore,
    private readonly archive: BinaryDatabase,
  ) {}

  static open(keyStore: KeyStore, attestations: AttestationStore): AcceptedVersions {
    const archive = keyStore.openDatabase('attest-versions');
    if (!archive) throw new QuorumError('read-only', 'this key store was opened read-only and has no version archive yet');
    return new AcceptedVersions(keyStore, attestations, archive);
  }

  /** The hook that archives replaced versions the quorum may still serve (register it on the key store). */
  hooks(): KeyStoreHooks {
    return {
      onKeyChanged: (change) => {
        if (!change.oldRecord || !change.oldHash) return; // a new key: nothing to archive or prune
        const wanted = this.wanted(change.fpr);
        if (wanted.has(change.oldHash.toString('hex'))) {
          this.archive.putSync(this.archiveKey(change.fpr, change.oldHash), Buffer.from(change.oldRecord.packets));
        }
        // prune: versions the quorum no longer needs, and the one now stored anyway
        const prefix = fprPart(change.fpr);
        for (const { key } of this.archive.getRange(prefixRange(prefix))) {
          const hash = Buffer.from(key.subarray(prefix.length));
          if (!wanted.has(hash.toString('hex')) || hash.equals(change.newHash)) this.archive.removeSync(key);
        }
      },
    };
  }

  /** Key hashes (hex) of the accepted and pending versions of `fpr`. */
  private wanted(fpr: Buffer): Set<string> {
    const { accepted, pending } = this.attestations.versionsOf(fpr);
    return new Set([...pending, ...(accepted ? [accepted] : [])].map((v) => v.keyHash.toString('hex')));
  }

  private archiveKey(fpr: Buffer, keyHash: Buffer): Buffer {
    return Buffer.concat([fprPart(fpr), keyHash]);
  }

  /** The packets of a version of `fpr` this node holds (stored or archived) whose digests match. */
  private packetsOf(version: KeyVersion, record: KeyRecord | undefined): Buffer | undefined {
    let bytes: Buffer | undefined;
    if (record && Buffer.from(record.hash).equals(version.keyHash)) bytes = Buffer.from(record.packets);
    else {
      const archived = this.archive.get(this.archiveKey(version.fingerprint, version.keyHash));
      bytes = archived && Buffer.from(archived);
    }
    // the SKS hash is MD5: the members' SHA-256 of the packets decides (docs/quorum.md §8)
    return bytes && packetsSha256(splitPackets(bytes)).equals(version.packetsSha256) ? bytes : undefined;
  }

  /**
   * What HKP serves of a stored key: its accepted version, with the owner's valid revocations
   * from the stored newer version added; undefined while no version is accepted (or this node
   * lacks the accepted version's packets).
   */
  served(record: KeyRecord): KeyRecord | undefined {
    return this.servedAs(record, this.attestations.accepted(record.fpr));
  }

  private servedAs(record: KeyRecord, accepted: KeyVersion | undefined): KeyRecord | undefined {
    const bytes = accepted && this.packetsOf(accepted, record);
    if (!bytes) return undefined;
    if (Buffer.from(record.hash).equals(accepted.keyHash)) return record;
    const base = parseKey(splitPackets(bytes));
    const r = withSelfRevocations(base, verifySelfSignatures(base), this.keyStore.parseRecord(record));
    const packets = flattenKey(r.key);
    return { ...record, hash: keyVersionDigests(packets).keyHash, packets: joinPackets(packets), validity: r.validity };
  }

  /** The accepted version of `fpr` and its packets exactly as attested (for proofs). */
  acceptedPackets(fpr: Buffer): { version: KeyVersion; packets: Buffer } | undefined {
    const version = this.attestations.accepted(fpr);
    const packets = version && this.packetsOf(version, this.keyStore.get(fpr));
    return packets ? { version: version!, packets } : undefined;
  }

  /** The quorum's view of a stored key, for the key page. */
  status(record: KeyRecord): QuorumKeyStatus {
    const { accepted, pending } = this.attestations.versionsOf(record.fpr);
    const served = this.servedAs(record, accepted);
    return {
      accepted: served && accepted,
      revocationsAdded: !!served && !Buffer.from(served.hash).equals(accepted!.keyHash),
      pending,
    };
  }
}

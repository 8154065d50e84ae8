/** Typed errors of @dkeyserv/db. */
export class DbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The data directory cannot be opened (missing permissions, not an LMDB store, newer schema). */
export class StoreOpenError extends DbError {}

/** A stored value does not decode: the bytes on disk are damaged (fsck reports it). */
export class StoredFormatError extends DbError {}

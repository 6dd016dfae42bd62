// Errors of the persistence path. They are internal: the service that receives one turns it into
// the user-facing DittoError (a conflict into a retry or 409/412, an unavailable store into 503).

import type { EntityType } from '../../ports/store.ts';

/** The store holds another revision than the writer read (optimistic concurrency). */
export class RevisionConflictError extends Error {
  readonly conflict = true;
  constructor(
    readonly entityType: EntityType,
    readonly entityId: string,
    readonly expectedRevision: number,
    options?: ErrorOptions,
  ) {
    super(`revision conflict on ${entityType} '${entityId}': expected revision ${expectedRevision} is no longer current`, options);
    this.name = 'RevisionConflictError';
  }
}

/** The database cannot be reached or has gone away (maps to 503). */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** A write that no store could apply: a bug in the caller, never the user's fault. */
export class InvalidWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidWriteError';
  }
}

/** The group committer's queue is full: the store cannot keep up (maps to 503 or 429). */
export class CommitQueueFullError extends Error {
  constructor(readonly limit: number) {
    super(`the commit queue is full (${limit} write units waiting); the store cannot keep up`);
    this.name = 'CommitQueueFullError';
  }
}

/** A unit was submitted after the group committer was closed. */
export class CommitterClosedError extends Error {
  constructor() {
    super('the group committer is closed; no more writes are accepted');
    this.name = 'CommitterClosedError';
  }
}

/** True for errors that mean "read again and retry": the unit lost a revision race. */
export function isRevisionConflict(e: unknown): e is RevisionConflictError {
  return e instanceof RevisionConflictError;
}

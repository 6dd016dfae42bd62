export { GroupCommitter } from './group-commit.ts';
export type { GroupCommitOptions, GroupCommitStats } from './group-commit.ts';
export {
  CommitQueueFullError,
  CommitterClosedError,
  InvalidWriteError,
  RevisionConflictError,
  StoreUnavailableError,
  isRevisionConflict,
} from './errors.ts';

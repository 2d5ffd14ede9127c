// Persons directory: who holds a dossier about whom, in which capacity, for which period.
export {
  PersonsDirectory,
  PHASE_DEFINITIVE,
  PHASE_PROVISIONAL,
  toRow as registrationRow,
} from './directory.ts';
export type {
  IdentitySource,
  ImportLine,
  ImportResult,
  RegisterInput,
  RegisterResult,
  RegistrationView,
} from './directory.ts';
export { RegistryIdentitySource, IDENTITY_PURPOSE } from './identity-source.ts';
export { overlapping, exclusivityConflict, ownOverlap, proofMatches, normaliseName } from './rules.ts';
export type { NewRegistration } from './rules.ts';
export type { Registration, Identity, IdentityProof } from './types.ts';
export { directoryRoutes } from './routes.ts';
export { DirectoryBulkLoad, BulkUsageError, DEFAULT_CHUNK_LINES, fileKey } from './bulk-load.ts';
export type {
  ExportOptions,
  ExportOutcome,
  FileKey,
  ImportOptions,
  ImportOutcome,
  ImportProgress,
  ImportStart,
} from './bulk-load.ts';
export { BULK_COLUMNS, BULK_FORMATS, formatFromName, splitCsv } from './bulk-file.ts';
export type { BulkFormat, BulkRecord } from './bulk-file.ts';

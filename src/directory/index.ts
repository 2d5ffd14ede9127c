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

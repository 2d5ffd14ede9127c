// Authorisations: the public register of deliberations, and the pure decide() over a snapshot.
export { decide, isRecipient, inForce } from './decide.ts';
export type { Caller, Decision, DecisionRequest, DecisionSnapshot, HeldRegistration } from './decide.ts';
export { AuthorisationRegister } from './register.ts';
export type { AuthorisationInput } from './register.ts';
export type { Authorisation, AuthorisationRef, AuthorisationStatus, DataLevel, DenialCode } from './types.ts';
export { authorisationRoutes } from './routes.ts';

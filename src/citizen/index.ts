// Citizens: log in (OpenID Connect, or the demo provider in demo mode) and see every exchange of
// data about them, each entry with a proof that verifies offline against the signed log.
export { citizenRoutes, DEMO_CLIENT_ID, SESSION_SECRET_FILE } from './routes.ts';
export type { CitizenDeps } from './routes.ts';
export { listAccesses, accessEntry, DEFAULT_LIMIT, MAX_LIMIT } from './accesses.ts';
export type { AccessEntry, AccessPage, AccessProof, AccessQuery, AccessSources } from './accesses.ts';
export { isVisible, visibleFrom } from './embargo.ts';
export { chooseLang, LANGS, MESSAGES } from './messages.ts';
export type { Lang } from './messages.ts';
export { deriveCitizenKeys, loadOrCreateSessionSecret } from './session-secret.ts';
export type { CitizenKeys } from './session-secret.ts';
export { SESSION_COOKIE, SESSION_HOURS } from './sessions.ts';
export { FLOW_COOKIE } from './relying-party.ts';
export type { DemoIdentity } from './demo-idp-page.ts';
export { mePage } from './page.ts';
export type { MePageInput } from './page.ts';

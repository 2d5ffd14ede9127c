// The demo network: synthetic people, real-looking institutions, demo authentic sources.
export { startDemo } from './demo.ts';
export type { Demo, DemoFile, DemoOptions } from './demo.ts';
export { startSourceServer } from './source-server.ts';
export type { SourceHandler, SourceServer, SourceServerOptions } from './source-server.ts';
export { generatePeople } from './people.ts';
export type { DemoPerson } from './people.ts';
export {
  DEMO_INSTITUTIONS,
  demoInstitution,
  demoAuthorisations,
  demoCapacities,
  demoServices,
} from './network.ts';
export type { DemoInstitutionKey } from './network.ts';
export { demoHandlers, demoRegistrations } from './sources.ts';
export { Random } from './random.ts';
export { movedAddress, startDemoChanges } from './changes.ts';
export type { DemoChanges } from './changes.ts';
export { startChangeInbox, keysFromJwks } from './change-inbox.ts';
export type { ChangeInbox, ChangeInboxOptions } from './change-inbox.ts';

// Network registry: institutions, sectors, capacities, the data-service catalogue, credentials,
// and the client the hub uses to call authentic sources.
export { NetworkRegistry } from './registry.ts';
export type { InstitutionInput, ServiceInput } from './registry.ts';
export { SECTORS, OFFICIAL_CAPACITIES, findSector, findOfficialCapacity } from './reference.ts';
export type { Sector, OfficialCapacity } from './reference.ts';
export { SourceClient } from './source-client.ts';
export type { SourceRequest, SourceAnswer, SourceClientOptions } from './source-client.ts';
export { actorLabel } from './types.ts';
export type {
  Actor,
  CallerCheck,
  Capacity,
  DataService,
  FieldsSchema,
  Institution,
  ProviderRule,
} from './types.ts';
export { networkRoutes, publicInstitution, serviceView } from './routes.ts';

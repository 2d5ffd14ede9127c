// What a caller may ask for: the services some authorisation in force lets it receive, with the
// fields and purposes allowed. (Whether a given person may be asked about depends on the directory.)
import { type Authorisation, inForce, isRecipient } from '../authz/index.ts';
import type { DataService, Institution } from '../network/index.ts';

export interface CallableService {
  readonly service: DataService;
  readonly fields: string[];
  readonly purposes: string[];
  readonly authorisations: string[];
}

export function callableServices(
  caller: Institution,
  services: readonly DataService[],
  authorisations: readonly Authorisation[],
  today: string,
): CallableService[] {
  const result: CallableService[] = [];
  for (const service of services) {
    const grants = authorisations.filter(
      (a) =>
        a.dataLevel === 'identified' &&
        inForce(a, today) &&
        isRecipient(a, caller) &&
        a.services.some((s) => s.service === service.id),
    );
    if (grants.length === 0) continue;
    const fields = new Set<string>();
    const purposes = new Set<string>();
    for (const a of grants) {
      for (const s of a.services) if (s.service === service.id) s.fields.forEach((f) => fields.add(f));
      a.purposes.forEach((p) => purposes.add(p));
    }
    result.push({
      service,
      fields: [...fields],
      purposes: [...purposes],
      authorisations: grants.map((a) => a.ref),
    });
  }
  return result;
}

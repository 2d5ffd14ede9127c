// Proof of identity for REGISTER is checked against the identity source: the fixed provider of the
// configured identity service (the National Register's `nr.identity` in the demo), called over the
// ordinary source protocol.
import { type Clock, Problem, newId, today } from '../kernel/index.ts';
import type { Institution, NetworkRegistry, SourceClient } from '../network/index.ts';
import type { IdentitySource } from './directory.ts';
import type { Identity } from './types.ts';

export const IDENTITY_PURPOSE = 'directory.proof-of-identity';

export class RegistryIdentitySource implements IdentitySource {
  readonly #registry: NetworkRegistry;
  readonly #client: SourceClient;
  readonly #serviceId: string;
  readonly #clock: Clock;

  constructor(registry: NetworkRegistry, client: SourceClient, serviceId: string, clock: Clock) {
    this.#registry = registry;
    this.#client = client;
    this.#serviceId = serviceId;
    this.#clock = clock;
  }

  async lookup(insz: string, requester: Institution): Promise<Identity | undefined> {
    const service = this.#registry.service(this.#serviceId);
    const rule = service?.providerRule;
    const source = rule?.kind === 'fixed' ? this.#registry.institutionByKbo(rule.institution) : undefined;
    if (!service || !source) {
      throw new Problem(
        'IDENTITY_SOURCE_UNAVAILABLE',
        `the identity service ${this.#serviceId} is not configured`,
      );
    }
    try {
      const answer = await this.#client.call(source, {
        exchangeId: newId(),
        service: { id: service.id, version: service.version },
        insz,
        period: { start: today(this.#clock), end: null },
        purpose: IDENTITY_PURPOSE,
        fields: ['lastName', 'birthDate', 'identityCardNumber'],
        requester: { kbo: requester.kbo, name: requester.nameNl },
      });
      if (!answer.found) return undefined;
      const d = answer.data;
      return {
        lastName: typeof d.lastName === 'string' ? d.lastName : '',
        birthDate: typeof d.birthDate === 'string' ? d.birthDate : null,
        identityCardNumber: typeof d.identityCardNumber === 'string' ? d.identityCardNumber : null,
      };
    } catch (error) {
      if (error instanceof Problem) {
        throw new Problem('IDENTITY_SOURCE_UNAVAILABLE', `identity source: ${error.detail ?? error.message}`);
      }
      throw error;
    }
  }
}

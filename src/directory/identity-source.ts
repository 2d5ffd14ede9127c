// Proof of identity for REGISTER is checked against the identity source: the fixed provider of the
// configured identity service (the National Register's `nr.identity` in the demo), called over the
// ordinary source protocol. The look-up is itself a use of the person's data, so it leaves an
// exchange-log record (kind `identity-check`): the registering institution learns only whether its
// proof matches, never the register's data.
import { performance } from 'node:perf_hooks';
import { type Clock, Problem, newId, today } from '../kernel/index.ts';
import type { ExchangeLog } from '../log/index.ts';
import type { Institution, NetworkRegistry, SourceAnswer, SourceClient } from '../network/index.ts';
import type { IdentitySource } from './directory.ts';
import type { Identity } from './types.ts';

export const IDENTITY_PURPOSE = 'directory.proof-of-identity';
const IDENTITY_FIELDS = ['lastName', 'birthDate', 'identityCardNumber'];

export interface IdentitySourceDeps {
  readonly registry: NetworkRegistry;
  readonly client: SourceClient;
  readonly log: ExchangeLog;
  readonly serviceId: string;
  readonly clock: Clock;
}

export class RegistryIdentitySource implements IdentitySource {
  readonly #deps: IdentitySourceDeps;

  constructor(deps: IdentitySourceDeps) {
    this.#deps = deps;
  }

  async lookup(insz: string, requester: Institution): Promise<Identity | undefined> {
    const { registry, client, log, serviceId, clock } = this.#deps;
    const service = registry.service(serviceId);
    const rule = service?.providerRule;
    const source = rule?.kind === 'fixed' ? registry.institutionByKbo(rule.institution) : undefined;
    if (!service || !source) {
      throw new Problem('IDENTITY_SOURCE_UNAVAILABLE', `the identity service ${serviceId} is not configured`);
    }
    const exchangeId = newId();
    const started = performance.now();
    const time = clock.now().toISOString();
    const period = { start: today(clock), end: null };
    let answer: SourceAnswer | undefined;
    let failure: Problem | undefined;
    try {
      answer = await client.call(source, {
        exchangeId,
        service: { id: service.id, version: service.version },
        insz,
        period,
        purpose: IDENTITY_PURPOSE,
        fields: IDENTITY_FIELDS,
        requester: { kbo: requester.kbo, name: requester.nameNl },
      });
    } catch (error) {
      if (!(error instanceof Problem)) throw error;
      failure = new Problem(
        'IDENTITY_SOURCE_UNAVAILABLE',
        `identity source: ${error.detail ?? error.message}`,
      );
    }
    const code = failure?.code ?? (answer?.found ? null : 'PERSON_UNKNOWN');
    const logged = log.append({
      kind: 'identity-check',
      exchangeId,
      time,
      caller: requester.kbo,
      endUser: null,
      caseReference: null,
      person: insz,
      service: service.id,
      serviceVersion: service.version,
      purpose: IDENTITY_PURPOSE,
      period,
      decision: 'permit',
      code,
      reason:
        code === null
          ? 'proof of identity for REGISTER; only the match result went to the institution'
          : (failure?.detail ?? code),
      authorisation: null,
      registrations: [],
      providers: [source.kbo],
      fields: IDENTITY_FIELDS,
      outcome: code === null ? 'forwarded' : 'failed',
      durationMs: Math.round(performance.now() - started),
    });
    // An identity check that cannot be logged does not count: the REGISTER is refused, not a 500.
    await logged.catch(() => {
      throw new Problem('LOG_UNAVAILABLE', 'the identity check could not be logged; retry later');
    });
    if (failure) throw failure;
    if (!answer?.found) return undefined;
    const d = answer.data;
    return {
      lastName: typeof d.lastName === 'string' ? d.lastName : '',
      birthDate: typeof d.birthDate === 'string' ? d.birthDate : null,
      identityCardNumber: typeof d.identityCardNumber === 'string' ? d.identityCardNumber : null,
    };
  }
}

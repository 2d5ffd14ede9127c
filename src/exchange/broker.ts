// The broker (architecture.md §3): authenticate → validate → decide → route → forward → filter
// → log → answer. Every attempt leaves exactly one exchange-log record, committed before the
// caller gets its answer, whether the exchange was forwarded, refused or failed.
import { performance } from 'node:perf_hooks';
import { type AuthorisationRegister, decide } from '../authz/index.ts';
import type { PersonsDirectory } from '../directory/index.ts';
import { type Clock, type Period, Problem, newId, parseInsz, requireInsz, today } from '../kernel/index.ts';
import type { ExchangeLog, ExchangeRecord } from '../log/index.ts';
import {
  type CallerCheck,
  type DataService,
  type Institution,
  type NetworkRegistry,
  type SourceClient,
  actorLabel,
} from '../network/index.ts';
import { type ExchangeRequestBody, askedPeriod, checkFieldsExist, fieldsOf, keepFields } from './request.ts';
import { describeProvider, providerIds } from './routing.ts';

export interface BrokerDeps {
  readonly registry: NetworkRegistry;
  readonly directory: PersonsDirectory;
  readonly authorisations: AuthorisationRegister;
  readonly log: ExchangeLog;
  readonly sources: SourceClient;
  readonly clock: Clock;
  /** Told about faults of the hub itself (not refusals), for the process log. */
  readonly onInternalError?: (error: unknown) => void;
}

export interface ExchangeAnswer {
  readonly exchangeId: string;
  readonly status: 'forwarded';
  readonly service: { readonly id: string; readonly version: number };
  readonly authorisation: { readonly ref: string; readonly version: number };
  readonly providers: readonly { readonly kbo: string; readonly name: string }[];
  /** One provider's answer for a fixed source; one answer per provider (same order) for a routed service. */
  readonly data: Record<string, unknown> | Record<string, unknown>[];
}

type Draft = { -readonly [K in keyof ExchangeRecord]: ExchangeRecord[K] };

export class Broker {
  readonly #deps: BrokerDeps;

  constructor(deps: BrokerDeps) {
    this.#deps = deps;
  }

  /**
   * Runs one exchange. `body` has passed (or failed: `schemaProblem`) the route's JSON schema.
   * Throws a Problem carrying `exchangeId` and `forwarded: false` when the exchange does not succeed.
   */
  async exchange(
    caller: CallerCheck,
    body: ExchangeRequestBody,
    schemaProblem?: Problem,
  ): Promise<ExchangeAnswer> {
    const started = performance.now();
    const draft: Draft = {
      kind: 'exchange',
      exchangeId: newId(),
      time: this.#deps.clock.now().toISOString(),
      caller: null,
      // Copied before the schema is checked (a refused request is logged too), so clipped to the
      // schema's limits: nobody can write more than that into the permanent log.
      endUser: clip(body?.endUser, 200),
      caseReference: clip(body?.caseReference, 200),
      person: null,
      service: clip(body?.service, 100),
      serviceVersion: null,
      purpose: clip(body?.purpose, 100),
      period: null,
      decision: null,
      code: null,
      reason: null,
      authorisation: null,
      registrations: [],
      providers: [],
      fields: [],
      outcome: 'refused',
      durationMs: 0,
    };
    let answer: ExchangeAnswer;
    try {
      answer = await this.#run(caller, body, schemaProblem, draft);
      draft.outcome = 'forwarded';
    } catch (error) {
      throw await this.#refuse(draft, started, error);
    }
    try {
      await this.#log(draft, started);
    } catch (error) {
      // The source answered but the record could not be committed: nothing goes to the caller.
      draft.outcome = 'failed';
      throw await this.#refuse(draft, started, logUnavailable(error));
    }
    return answer;
  }

  /** Logs a refused or failed attempt (same exchange id) and returns the problem to answer. */
  async #refuse(draft: Draft, started: number, error: unknown): Promise<Problem> {
    let problem =
      error instanceof Problem ? error : new Problem('INTERNAL', 'the exchange failed inside the hub');
    if (!(error instanceof Problem)) this.#deps.onInternalError?.(error);
    draft.code = problem.code;
    draft.reason ??= problem.detail ?? problem.message;
    if (draft.outcome !== 'failed') draft.outcome = 'refused';
    try {
      await this.#log(draft, started);
    } catch (logError) {
      problem = logUnavailable(logError);
    }
    return new Problem(problem.code, problem.detail, {
      ...problem.extra,
      exchangeId: draft.exchangeId,
      forwarded: false,
    });
  }

  async #run(
    caller: CallerCheck,
    body: ExchangeRequestBody,
    schemaProblem: Problem | undefined,
    draft: Draft,
  ): Promise<ExchangeAnswer> {
    if ('problem' in caller) throw caller.problem;
    if (caller.actor.kind !== 'institution') {
      // `caller` holds institutions' KBO numbers; which operator credential tried is in the reason.
      throw new Problem(
        'INSTITUTION_ONLY',
        `the operator (${actorLabel(caller.actor)}) does not exchange personal data`,
      );
    }
    const institution = caller.actor.institution;
    draft.caller = institution.kbo;
    if (schemaProblem) {
      // Even a malformed request about a person is an attempt about that person: keep who it was.
      draft.person = typeof body?.insz === 'string' ? validInszOrNull(body.insz) : null;
      throw schemaProblem;
    }

    const insz = requireInsz(body.insz);
    draft.person = insz;
    // Fail closed: never forward while the log cannot bring records into its signed tree.
    if (!this.#deps.log.available()) {
      throw new Problem(
        'LOG_UNAVAILABLE',
        'the exchange log has not signed its records in time; retry later',
      );
    }
    const period = askedPeriod(body);
    draft.period = { start: period.start, end: period.end ?? null };
    const service = this.#deps.registry.service(body.service, body.version);
    if (!service)
      throw new Problem(
        'UNKNOWN_SERVICE',
        `no data service ${body.service}${body.version ? ` v${body.version}` : ''}`,
      );
    draft.serviceVersion = service.version;
    checkFieldsExist(service, body.fields);

    const held = await this.#deps.directory.ofPersonAtInstitution(insz, institution.id);
    const decision = decide(
      {
        caller: institution,
        service: service.id,
        serviceFields: fieldsOf(service),
        purpose: body.purpose,
        period,
        ...(body.fields ? { fields: body.fields } : {}),
      },
      {
        today: today(this.#deps.clock),
        authorisations: this.#deps.authorisations.latest(),
        registrations: held,
      },
    );
    draft.decision = decision.permit ? 'permit' : 'deny';
    draft.authorisation = decision.authorisation ?? null;
    if (!decision.permit) {
      draft.reason = decision.reason;
      throw new Problem(
        decision.code,
        decision.reason,
        decision.authorisation ? { authorisation: decision.authorisation } : {},
      );
    }
    draft.registrations = [...decision.registrations];
    draft.fields = [...decision.fields];

    const providers = await this.#route(service, insz, period);
    draft.providers = providers.map((p) => p.kbo);
    draft.outcome = 'failed'; // from here on a failure happened while forwarding
    const request = {
      exchangeId: draft.exchangeId,
      service: { id: service.id, version: service.version },
      insz,
      period: draft.period,
      purpose: body.purpose,
      fields: decision.fields,
      requester: { kbo: institution.kbo, name: institution.nameNl },
      ...(draft.endUser !== null ? { endUser: draft.endUser } : {}),
      ...(draft.caseReference !== null ? { caseReference: draft.caseReference } : {}),
    };
    const answers = await Promise.all(providers.map((p) => this.#deps.sources.call(p, request)));
    // Only providers that hold data answer; `data` lines up with `providers`.
    const answered = providers.flatMap((provider, i) => {
      const answer = answers[i]!;
      return answer.found ? [{ provider, data: keepFields(answer.data, decision.fields) }] : [];
    });
    if (answered.length === 0)
      throw new Problem('PROVIDER_NO_DATA', 'the authentic source holds no data on this person');
    return {
      exchangeId: draft.exchangeId,
      status: 'forwarded',
      service: { id: service.id, version: service.version },
      authorisation: decision.authorisation,
      providers: answered.map((a) => describeProvider(a.provider)),
      data: service.providerRule.kind === 'fixed' ? answered[0]!.data : answered.map((a) => a.data),
    };
  }

  async #route(service: DataService, insz: string, period: Period): Promise<Institution[]> {
    const rule = service.providerRule;
    const registry = this.#deps.registry;
    if (rule.kind === 'fixed') {
      const source = registry.institutionByKbo(rule.institution);
      if (!source) throw new Problem('NO_PROVIDER', `the source of ${service.id} is not registered`);
      return [source];
    }
    const inSector = await this.#deps.directory.ofPersonInSector(insz, rule.sector);
    const providers = providerIds(rule, inSector, period)
      .map((id) => registry.institutionById(id))
      .filter((i) => i !== undefined);
    if (providers.length === 0)
      throw new Problem(
        'NO_PROVIDER',
        `no institution of sector ${rule.sector} holds this person for that period`,
      );
    return providers;
  }

  async #log(draft: Draft, started: number): Promise<void> {
    draft.durationMs = Math.round(performance.now() - started);
    await this.#deps.log.append(draft);
  }
}

function validInszOrNull(input: string): string | null {
  const parsed = parseInsz(input);
  return parsed.ok ? parsed.insz.value : null;
}

function clip(value: unknown, max: number): string | null {
  return typeof value === 'string' ? value.slice(0, max) : null;
}

function logUnavailable(error: unknown): Problem {
  const detail = error instanceof Error ? error.message : 'the exchange log could not record this exchange';
  return new Problem(
    'LOG_UNAVAILABLE',
    `the exchange could not be logged, so nothing was forwarded (${detail})`,
  );
}

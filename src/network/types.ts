// The network's vocabulary: institutions, capacities, data services, and who is calling.
import type { Period, Problem } from '../kernel/index.ts';

export interface Institution {
  readonly id: string;
  readonly kbo: string;
  readonly nameNl: string;
  readonly nameFr: string;
  /** Sector and sub-sector from the official list; null for bodies outside the social sector. */
  readonly sector: number | null;
  readonly subsector: number | null;
  /** Base URL of its authentic-source endpoint (the hub calls `{sourceUrl}/crossroads/v1/{service}`). */
  readonly sourceUrl: string | null;
  /** Bearer credential the hub presents to that endpoint. */
  readonly sourceToken: string | null;
}

export interface Capacity {
  readonly sector: number;
  readonly code: number;
  readonly labelNl: string;
  readonly labelFr: string;
  /** Held by at most one institution of the sector at a time (anti-fraud, domain.md §3). */
  readonly exclusive: boolean;
}

/**
 * Where a data service's answer comes from:
 * - `fixed`: one authentic source;
 * - `registration`: the institution(s) where the person has a registration in `sector`
 *   (optionally limited to `capacities`) covering the period asked — e.g. the person's health fund.
 */
export type ProviderRule =
  | { readonly kind: 'fixed'; readonly institution: string }
  | {
      readonly kind: 'registration';
      readonly sector: number;
      readonly subsector?: number;
      readonly capacities?: readonly number[];
    };

export interface FieldsSchema {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, unknown>>;
  readonly [k: string]: unknown;
}

export interface DataService {
  readonly id: string;
  readonly version: number;
  readonly title: { readonly nl: string; readonly fr: string; readonly en: string };
  readonly description: string;
  /** JSON Schema of one provider's answer; its top-level properties are the service's fields. */
  readonly fieldsSchema: FieldsSchema;
  readonly providerRule: ProviderRule;
}

export type Actor =
  | { readonly kind: 'operator'; readonly credentialId: string }
  | { readonly kind: 'institution'; readonly institution: Institution; readonly credentialId: string };

/** Who is calling, as authentication found out: an actor, or the problem that stopped it. */
export type CallerCheck = { readonly actor: Actor } | { readonly problem: Problem };

/** The `created_by` / `ended_by` text recorded with every change. */
export function actorLabel(actor: Actor): string {
  return actor.kind === 'operator'
    ? `operator:${actor.credentialId}`
    : `institution:${actor.institution.kbo}:${actor.credentialId}`;
}

export type { Period };

import type { IsoDate, ProblemCode } from '../kernel/index.ts';

export type DataLevel = 'identified' | 'coded' | 'anonymous';
export type AuthorisationStatus = 'in-force' | 'withdrawn';

/**
 * One version of a deliberation of the Information Security Committee (IVC/CSI), as the hub
 * enforces it: `services` may be communicated to `recipients` about persons for whom the recipient
 * holds one of `capacities`, for one of `purposes`, while the version is valid.
 */
export interface Authorisation {
  readonly ref: string; // e.g. IVC/KSZG/19/123
  readonly version: number;
  readonly title: string;
  readonly decidedOn: IsoDate;
  readonly status: AuthorisationStatus;
  readonly recipients: {
    readonly institutions: readonly string[]; // KBO numbers
    readonly sectors: readonly { readonly sector: number; readonly subsector?: number }[];
  };
  readonly services: readonly { readonly service: string; readonly fields: readonly string[] }[];
  readonly purposes: readonly string[];
  readonly capacities: readonly { readonly sector: number; readonly code: number }[];
  readonly validFrom: IsoDate;
  readonly validTo: IsoDate | null;
  readonly dataLevel: DataLevel;
  /**
   * Confidential exchanges (e.g. an ongoing fraud investigation): the person sees an exchange made
   * under this authorisation only this many days after it happened. null: at once.
   */
  readonly embargoDays: number | null;
  readonly note: string;
  readonly createdAt: string;
  readonly createdBy: string;
}

export type AuthorisationRef = { readonly ref: string; readonly version: number };

export type DenialCode = Extract<
  ProblemCode,
  | 'NO_AUTHORISATION'
  | 'AUTHORISATION_NOT_IN_FORCE'
  | 'PURPOSE_NOT_AUTHORISED'
  | 'FIELD_NOT_AUTHORISED'
  | 'NO_ACTIVE_REGISTRATION'
  | 'PERIOD_NOT_COVERED'
>;

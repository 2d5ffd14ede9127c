import type { IsoDate } from '../kernel/index.ts';

/** One line of the persons directory: an institution's dossier for a person in a capacity. */
export interface Registration {
  readonly id: string;
  readonly insz: string;
  readonly institutionId: string;
  readonly sector: number;
  readonly subsector: number;
  readonly capacity: number;
  /** 0 definitive, 902 provisional (the official generic codes). */
  readonly phase: number;
  readonly start: IsoDate;
  readonly end: IsoDate | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly endedAt: string | null;
  readonly endedBy: string | null;
}

/** What an institution shows to prove it knows the person it registers. */
export type IdentityProof =
  { readonly identityCardNumber: string } | { readonly lastName: string; readonly birthDate: IsoDate };

/** What the identity source (the National Register) says about a person. */
export interface Identity {
  readonly lastName: string;
  readonly birthDate: IsoDate | null;
  readonly identityCardNumber: string | null;
}

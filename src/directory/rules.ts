// Pure rules of the persons directory: overlap, exclusivity, proof of identity.
import { overlaps, type Period } from '../kernel/index.ts';
import type { Identity, IdentityProof, Registration } from './types.ts';

export interface NewRegistration {
  readonly institutionId: string;
  readonly sector: number;
  readonly capacity: number;
  readonly phase: number;
  readonly start: string;
  readonly end: string | null;
}

export function periodOf(r: { readonly start: string; readonly end: string | null }): Period {
  return { start: r.start, end: r.end };
}

/** The person's registrations in the same sector whose period overlaps the new one. */
export function overlapping(candidate: NewRegistration, sameSector: readonly Registration[]): Registration[] {
  return sameSector.filter(
    (r) => r.sector === candidate.sector && overlaps(periodOf(r), periodOf(candidate)),
  );
}

/**
 * domain.md §3: "the same person cannot be registered in the same capacity for the same period at
 * several institutions of the same branch". Returns the first registration that forbids the new one.
 */
export function exclusivityConflict(
  candidate: NewRegistration,
  sameSector: readonly Registration[],
  capacityIsExclusive: boolean,
): Registration | undefined {
  if (!capacityIsExclusive) return undefined;
  return overlapping(candidate, sameSector).find(
    (r) => r.capacity === candidate.capacity && r.institutionId !== candidate.institutionId,
  );
}

export type OwnOverlap =
  | { readonly kind: 'identical'; readonly existing: Registration }
  | { readonly kind: 'overlap'; readonly existing: Registration };

/** An institution holds a capacity for a person at most once at a time; an identical REGISTER is a repeat. */
export function ownOverlap(
  candidate: NewRegistration,
  sameSector: readonly Registration[],
): OwnOverlap | undefined {
  const existing = overlapping(candidate, sameSector).find(
    (r) => r.institutionId === candidate.institutionId && r.capacity === candidate.capacity,
  );
  if (!existing) return undefined;
  const identical =
    existing.start === candidate.start &&
    existing.end === candidate.end &&
    existing.phase === candidate.phase;
  return { kind: identical ? 'identical' : 'overlap', existing };
}

/** Compares names without case, accents, spaces, hyphens or apostrophes ("Van der Berg" = "VANDERBERG"). */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[\s'’`-]/g, '')
    .toLocaleUpperCase('nl-BE');
}

export function normaliseCardNumber(card: string): string {
  return card.replace(/[\s.-]/g, '').toUpperCase();
}

export function proofMatches(proof: IdentityProof, identity: Identity): boolean {
  if ('identityCardNumber' in proof) {
    const given = normaliseCardNumber(proof.identityCardNumber);
    // An empty value on either side proves nothing ("-" normalises to "").
    return (
      given !== '' &&
      identity.identityCardNumber !== null &&
      given === normaliseCardNumber(identity.identityCardNumber)
    );
  }
  const lastName = normaliseName(proof.lastName);
  if (lastName === '' || normaliseName(identity.lastName) === '') return false;
  return identity.birthDate === proof.birthDate && normaliseName(identity.lastName) === lastName;
}

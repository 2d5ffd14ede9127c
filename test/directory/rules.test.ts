// Pure rules of the persons directory (domain.md §3): overlap in a sector, exclusivity between
// institutions, an institution's own overlaps, and the proof of identity given at REGISTER.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  exclusivityConflict,
  normaliseName,
  overlapping,
  ownOverlap,
  proofMatches,
} from '../../src/directory/index.ts';
import type { Identity, IdentityProof, NewRegistration, Registration } from '../../src/directory/index.ts';

const HERE = 'inst-here';
const THERE = 'inst-there';

function reg(id: string, over: Partial<Registration> = {}): Registration {
  return {
    id,
    insz: '85073003328',
    institutionId: THERE,
    sector: 17,
    subsector: 0,
    capacity: 1,
    phase: 0,
    start: '2026-01-01',
    end: null,
    createdAt: '2026-01-01T08:00:00.000Z',
    createdBy: 'test',
    endedAt: null,
    endedBy: null,
    ...over,
  };
}

function candidate(over: Partial<NewRegistration> = {}): NewRegistration {
  return { institutionId: HERE, sector: 17, capacity: 1, phase: 0, start: '2026-03-01', end: null, ...over };
}

// ---- overlapping ----

const OVERLAPPING: { name: string; input: [NewRegistration, Registration[]]; want: string[] }[] = [
  { name: 'open-ended, both', input: [candidate(), [reg('a')]], want: ['a'] },
  { name: 'other sector', input: [candidate(), [reg('a', { sector: 18 })]], want: [] },
  {
    name: 'adjacent half-open periods [a,b) and [b,c) do not overlap',
    input: [candidate({ start: '2026-03-01' }), [reg('a', { end: '2026-03-01' })]],
    want: [],
  },
  {
    name: 'one shared day',
    input: [candidate({ start: '2026-02-28' }), [reg('a', { end: '2026-03-01' })]],
    want: ['a'],
  },
  {
    name: 'later registration against a closed candidate',
    input: [
      candidate({ end: '2026-04-01' }),
      [reg('a', { start: '2026-04-01' }), reg('b', { start: '2026-03-31' })],
    ],
    want: ['b'],
  },
  {
    name: 'an annulled registration (empty period) overlaps nothing',
    input: [candidate({ start: '2026-01-01' }), [reg('a', { start: '2026-02-01', end: '2026-02-01' })]],
    want: [],
  },
];
for (const { name, input, want } of OVERLAPPING) {
  test(`overlapping: ${name}`, () =>
    assert.deepEqual(
      overlapping(...input).map((r) => r.id),
      want,
    ));
}

// ---- exclusivityConflict ----

const ENDED_YESTERDAY = { end: '2026-02-28', endedAt: '2026-02-28T10:00:00.000Z', endedBy: 'test' };
const EXCLUSIVITY: {
  name: string;
  input: [NewRegistration, Registration[], boolean];
  want: string | undefined;
}[] = [
  { name: 'same capacity, other institution, exclusive', input: [candidate(), [reg('a')], true], want: 'a' },
  {
    name: 'same capacity, other institution, not exclusive',
    input: [candidate(), [reg('a')], false],
    want: undefined,
  },
  { name: 'other capacity', input: [candidate(), [reg('a', { capacity: 2 })], true], want: undefined },
  {
    name: 'same institution (ownOverlap decides)',
    input: [candidate(), [reg('a', { institutionId: HERE })], true],
    want: undefined,
  },
  {
    name: 'ended before the candidate starts',
    input: [candidate(), [reg('a', ENDED_YESTERDAY)], true],
    want: undefined,
  },
  {
    name: 'adjacent: ends the day the candidate starts',
    input: [candidate(), [reg('a', { end: '2026-03-01' })], true],
    want: undefined,
  },
  {
    name: 'annulled elsewhere (end = start)',
    input: [candidate({ start: '2026-01-01' }), [reg('a', { start: '2026-02-01', end: '2026-02-01' })], true],
    want: undefined,
  },
  {
    name: 'candidate ends before the other starts',
    input: [candidate({ start: '2026-01-01', end: '2026-02-01' }), [reg('a', { start: '2026-02-01' })], true],
    want: undefined,
  },
  {
    name: 'the first conflicting one is named',
    input: [candidate(), [reg('a', { capacity: 2 }), reg('b'), reg('c')], true],
    want: 'b',
  },
];
for (const { name, input, want } of EXCLUSIVITY) {
  test(`exclusivityConflict: ${name}`, () => assert.equal(exclusivityConflict(...input)?.id, want));
}

// ---- ownOverlap ----

const MINE = { institutionId: HERE, start: '2026-03-01' };
const OWN: { name: string; input: [NewRegistration, Registration[]]; want: [string, string] | undefined }[] =
  [
    { name: 'identical → a repeat', input: [candidate(), [reg('a', MINE)]], want: ['identical', 'a'] },
    {
      name: 'identical closed period',
      input: [candidate({ end: '2026-06-01' }), [reg('a', { ...MINE, end: '2026-06-01' })]],
      want: ['identical', 'a'],
    },
    {
      name: 'other start',
      input: [candidate({ start: '2026-04-01' }), [reg('a', MINE)]],
      want: ['overlap', 'a'],
    },
    {
      name: 'other end',
      input: [candidate({ end: '2026-06-01' }), [reg('a', MINE)]],
      want: ['overlap', 'a'],
    },
    { name: 'other phase', input: [candidate({ phase: 902 }), [reg('a', MINE)]], want: ['overlap', 'a'] },
    { name: 'other capacity', input: [candidate(), [reg('a', { ...MINE, capacity: 2 })]], want: undefined },
    { name: 'other institution', input: [candidate(), [reg('a', { start: '2026-03-01' })]], want: undefined },
    {
      name: 'own ended registration before the candidate',
      input: [candidate(), [reg('a', { institutionId: HERE, ...ENDED_YESTERDAY })]],
      want: undefined,
    },
  ];
for (const { name, input, want } of OWN) {
  test(`ownOverlap: ${name}`, () => {
    const got = ownOverlap(...input);
    assert.deepEqual(got && [got.kind, got.existing.id], want);
  });
}

// ---- normaliseName and proofMatches ----

const NAMES: { input: [string, string]; want: boolean }[] = [
  { input: ['Van der Berg', 'VANDERBERG'], want: true },
  { input: ['Müller', 'MULLER'], want: true },
  { input: ['Lefèvre', 'lefevre'], want: true },
  { input: ['Ñúñez', 'nunez'], want: true },
  { input: ["D'Hondt", 'DHONDT'], want: true },
  { input: ['D’Hondt', "d'hondt"], want: true }, // typographic apostrophe
  { input: ['Dubois-Martin', 'Dubois Martin'], want: true },
  { input: ['  Peeters\t', 'peeters'], want: true },
  { input: ['Peeters', 'Peters'], want: false },
  { input: ['De Smet', 'De Smedt'], want: false },
];
for (const { input, want } of NAMES) {
  test(`normaliseName: ${JSON.stringify(input[0])} ${want ? '=' : '≠'} ${JSON.stringify(input[1])}`, () => {
    assert.equal(normaliseName(input[0]) === normaliseName(input[1]), want);
  });
}

const PERSON: Identity = {
  lastName: 'Van der Berg',
  birthDate: '1985-07-30',
  identityCardNumber: '592-1234567-89',
};
const PROOFS: { name: string; input: [IdentityProof, Identity]; want: boolean }[] = [
  { name: 'card number as printed', input: [{ identityCardNumber: '592-1234567-89' }, PERSON], want: true },
  {
    name: 'card number without separators',
    input: [{ identityCardNumber: '592123456789' }, PERSON],
    want: true,
  },
  {
    name: 'card number with spaces and dots',
    input: [{ identityCardNumber: '592 1234567.89' }, PERSON],
    want: true,
  },
  {
    name: 'card number letters in any case',
    input: [{ identityCardNumber: 'b12 345678' }, { ...PERSON, identityCardNumber: 'B12345678' }],
    want: true,
  },
  { name: 'other card number', input: [{ identityCardNumber: '592-1234567-88' }, PERSON], want: false },
  {
    name: 'card number when the source knows none',
    input: [{ identityCardNumber: '592-1234567-89' }, { ...PERSON, identityCardNumber: null }],
    want: false,
  },
  {
    name: 'name and birth date',
    input: [{ lastName: 'VANDERBERG', birthDate: '1985-07-30' }, PERSON],
    want: true,
  },
  {
    name: 'name with accents and case',
    input: [{ lastName: 'van dér berg', birthDate: '1985-07-30' }, PERSON],
    want: true,
  },
  {
    name: 'other birth date',
    input: [{ lastName: 'Van der Berg', birthDate: '1985-07-31' }, PERSON],
    want: false,
  },
  { name: 'other name', input: [{ lastName: 'Van den Berg', birthDate: '1985-07-30' }, PERSON], want: false },
  {
    name: 'birth date unknown to the source',
    input: [
      { lastName: 'Van der Berg', birthDate: '1985-07-30' },
      { ...PERSON, birthDate: null },
    ],
    want: false,
  },
];
for (const { name, input, want } of PROOFS) {
  test(`proofMatches: ${name} → ${want}`, () => assert.equal(proofMatches(...input), want));
}

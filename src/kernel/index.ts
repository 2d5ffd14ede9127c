// Kernel: identifiers, dates and periods, problems, the clock — pure, no I/O.
export { parseInsz, requireInsz, formatInsz, makeInsz, normaliseInsz, checkDigitsFor } from './insz.ts';
export type { Insz, InszResult, InszParts, PersonNumberKind, Sex } from './insz.ts';
export { parseKbo, formatKbo, makeKbo, kboCheckDigits } from './kbo.ts';
export type { KboResult } from './kbo.ts';
export { isIsoDate, addDays, dateInBelgium, HUB_TIME_ZONE } from './dates.ts';
export type { IsoDate } from './dates.ts';
export { dayPeriod, isValidPeriod, overlaps, covers, containsDate, coveringChain } from './period.ts';
export type { Period } from './period.ts';
export { systemClock, ManualClock, today } from './clock.ts';
export type { Clock } from './clock.ts';
export { PROBLEMS, Problem, isProblemCode } from './problems.ts';
export type { ProblemCode } from './problems.ts';
export { canonicalJson } from './canonical-json.ts';
export type { JsonValue } from './canonical-json.ts';
export { newId, newSecret } from './ids.ts';
export { Generations } from './generations.ts';

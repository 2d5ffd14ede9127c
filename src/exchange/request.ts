// Validation of an exchange request beyond its JSON schema: the INSZ, the dates, the service
// and the fields it names. Pure; every refusal carries its problem code.
import { type IsoDate, type Period, Problem, dayPeriod, isIsoDate, isValidPeriod } from '../kernel/index.ts';
import type { DataService } from '../network/index.ts';

export interface ExchangeRequestBody {
  readonly service: string;
  readonly version?: number;
  readonly insz: string;
  readonly purpose: string;
  readonly date?: IsoDate;
  readonly period?: { readonly start: IsoDate; readonly end?: IsoDate | null };
  readonly fields?: readonly string[];
  readonly endUser?: string;
  readonly caseReference?: string;
}

/** `date` asks about one day, `period` about a half-open range; exactly one of them. */
export function askedPeriod(body: Pick<ExchangeRequestBody, 'date' | 'period'>): Period {
  if ((body.date === undefined) === (body.period === undefined)) {
    throw new Problem('VALIDATION_FAILED', 'give either date or period, not both and not neither', {
      errors: [{ pointer: '/body/date', message: 'exactly one of date and period is required' }],
    });
  }
  if (body.date !== undefined) {
    if (!isIsoDate(body.date)) throw new Problem('DATE_INVALID', `${body.date} is not a calendar date`);
    return dayPeriod(body.date);
  }
  const { start, end = null } = body.period!;
  for (const d of [start, end]) {
    if (d !== null && !isIsoDate(d)) throw new Problem('DATE_INVALID', `${d} is not a calendar date`);
  }
  if (!isValidPeriod({ start, end }))
    throw new Problem('PERIOD_INVALID', `the period ends (${end}) on or before it starts (${start})`);
  return { start, end };
}

export function fieldsOf(service: DataService): string[] {
  return Object.keys(service.fieldsSchema.properties);
}

export function checkFieldsExist(service: DataService, fields: readonly string[] | undefined): void {
  if (!fields) return;
  const known = fieldsOf(service);
  const unknown = fields.filter((f) => !known.includes(f));
  if (unknown.length > 0) {
    throw new Problem(
      'SERVICE_FIELD_UNKNOWN',
      `${service.id} v${service.version} returns no field ${unknown.join(', ')}`,
    );
  }
}

/** Keeps only the authorised fields of a source's answer. */
export function keepFields(
  data: Readonly<Record<string, unknown>>,
  fields: readonly string[],
): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const f of fields) if (Object.hasOwn(data, f)) kept[f] = data[f];
  return kept;
}

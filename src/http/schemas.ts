// Schemas shared by several capabilities' routes. Each has an $id so OpenAPI names it.
import { Type } from 'typebox';

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URI reference to the documentation of this problem code' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    code: Type.String({ description: 'Stable machine code, see docs/problems.md' }),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    exchangeId: Type.Optional(Type.String()),
    forwarded: Type.Optional(
      Type.Boolean({ description: 'Whether any data reached the caller (always false here)' }),
    ),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

export const InszSchema = Type.String({
  $id: 'Insz',
  description: 'INSZ/NISS or BIS number: 11 digits, separators . - and spaces allowed',
  minLength: 11,
  maxLength: 15,
  examples: ['85073003328'],
});

export const KboSchema = Type.String({
  $id: 'Kbo',
  description: 'KBO/BCE enterprise number, 10 digits',
  pattern: '^[01][0-9]{9}$',
  examples: ['0403019261'],
});

export const DateSchema = Type.String({
  $id: 'IsoDate',
  description: 'ISO 8601 calendar date',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
  examples: ['2026-01-01'],
});

export const PeriodSchema = Type.Object(
  {
    start: Type.Ref('IsoDate'),
    end: Type.Optional(
      Type.Union([Type.Ref('IsoDate'), Type.Null()], { description: 'exclusive; absent or null = open' }),
    ),
  },
  { $id: 'Period', additionalProperties: false, description: 'Half-open period [start, end)' },
);

export const SHARED_SCHEMAS = [ProblemSchema, InszSchema, KboSchema, DateSchema, PeriodSchema];

/** Error answers every authenticated route may give. */
export const problemResponses = {
  400: Type.Ref('Problem'),
  401: Type.Ref('Problem'),
  403: Type.Ref('Problem'),
  404: Type.Ref('Problem'),
  409: Type.Ref('Problem'),
};

/** Typed references to the shared schemas, for use inside route schemas. */
export const InszRef = Type.Unsafe<string>(Type.Ref('Insz'));
export const KboRef = Type.Unsafe<string>(Type.Ref('Kbo'));
export const DateRef = Type.Unsafe<string>(Type.Ref('IsoDate'));
export const PeriodRef = Type.Unsafe<{ start: string; end?: string | null }>(Type.Ref('Period'));

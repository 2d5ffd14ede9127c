// Canonical JSON after RFC 8785 (JSON Canonicalization Scheme) for the values the hub writes:
// object members sorted by UTF-16 code units, no insignificant whitespace, strings escaped as
// JSON.stringify does (which matches RFC 8785 §3.2.2.2), integers only.

export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value))
        throw new TypeError(`canonical JSON here holds integers only, got ${value}`);
      return String(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + canonicalJson(value[i]);
        return out + ']';
      }
      // Array.prototype.sort without a comparator orders by UTF-16 code units, as RFC 8785 §3.2.3 asks.
      const object = value as Record<string, unknown>;
      const keys = Object.keys(object).sort();
      let out = '{';
      for (const key of keys) {
        const member = object[key];
        if (member === undefined) continue;
        out += (out.length > 1 ? ',' : '') + JSON.stringify(key) + ':' + canonicalJson(member);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`cannot canonicalise a ${typeof value}`);
  }
}

// Calendar dates as ISO 8601 `YYYY-MM-DD` strings. They compare correctly as strings, store as
// text on every database, and carry no time zone: a date is a day in Belgium.

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
export const HUB_TIME_ZONE = 'Europe/Brussels';

export type IsoDate = string;

export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1800 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

const brusselsDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: HUB_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

let cachedMinute = -1;
let cachedDate = '';

/** The calendar day in Belgium at instant `at` (the hub's notion of "today"). */
export function dateInBelgium(at: Date): IsoDate {
  // Intl formatting is slow and the exchange path asks on every request: the answer can only
  // change on a minute boundary (time-zone offsets are whole or half hours), so keep the last one.
  const minute = Math.floor(at.getTime() / 60_000);
  if (minute !== cachedMinute) {
    cachedDate = brusselsDate.format(at);
    cachedMinute = minute;
  }
  return cachedDate;
}

// Confidential exchanges: an authorisation may say that the person sees exchanges made under it
// only `embargoDays` after they happened (e.g. an ongoing fraud investigation). Pure rules.

const DAY_MS = 86_400_000;

/** The instant from which a record made at `time` under an embargo of `embargoDays` is shown. */
export function visibleFrom(time: string, embargoDays: number | null): Date {
  const at = Date.parse(time);
  return new Date(embargoDays === null ? at : at + embargoDays * DAY_MS);
}

/** Whether the person may see the record at `now` (the hub's clock). */
export function isVisible(time: string, embargoDays: number | null, now: Date): boolean {
  if (embargoDays === null) return true;
  // An unreadable time cannot be shown to be past its embargo: hide it rather than guess.
  const from = visibleFrom(time, embargoDays).getTime();
  return !Number.isNaN(from) && now.getTime() >= from;
}

// Reloads of an in-memory copy that may overlap (a local write and a NOTIFY from another node):
// one that started later read later data, so one that started earlier must not overwrite it.
export class Generations {
  #started = 0;
  #applied = 0;

  /** Call before reading; pass the answer to `isLatest` once the reads are done. */
  start(): number {
    return ++this.#started;
  }

  /** Whether the reload that got `generation` may swap its result in (and now has). */
  isLatest(generation: number): boolean {
    if (generation < this.#applied) return false;
    this.#applied = generation;
    return true;
  }
}

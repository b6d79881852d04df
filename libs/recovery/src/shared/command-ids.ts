/**
 * The ids of the commands a stream's events came from, so that a repeated command is spotted and
 * applied once. Immutable like the states that hold it, but versions along one history share one
 * map: each id remembers how many ids came before it, and a version sees the ids added before its
 * own size. So adding to the newest version costs O(1), where copying a set on every event made
 * loading a stream of n events cost O(n²). Adding to an older version (a fork) copies first.
 */
export class CommandIds {
  /** `ids` maps each id to its index; the newest version's size is the map's. */
  private constructor(
    private readonly ids: Map<string, number>,
    readonly size: number,
  ) {}

  static empty(): CommandIds {
    return new CommandIds(new Map(), 0);
  }

  has(id: string): boolean {
    const index = this.ids.get(id);
    return index !== undefined && index < this.size;
  }

  add(id: string): CommandIds {
    if (this.has(id)) return this;
    const ids = this.ids.size === this.size ? this.ids : new Map([...this.ids].filter(([, index]) => index < this.size));
    ids.set(id, this.size);
    return new CommandIds(ids, this.size + 1);
  }
}

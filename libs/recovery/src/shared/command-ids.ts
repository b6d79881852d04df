/**
 * The ids of the commands a stream's events came from, so that a repeated command is spotted and
 * applied once. Immutable like the states that hold it, but versions along one history share one
 * map: each id remembers how many ids came before it, and a version sees the ids added before its
 * own size. So adding to the newest version costs O(1), where copying a set on every event made
 * loading a stream of n events cost O(n²). Adding to an older version (a fork) copies first.
 */
export class CommandIds {
  private constructor(
    private readonly shared: { ids: Map<string, number>; size: number },
    readonly size: number,
  ) {}

  static empty(): CommandIds {
    return new CommandIds({ ids: new Map(), size: 0 }, 0);
  }

  has(id: string): boolean {
    const index = this.shared.ids.get(id);
    return index !== undefined && index < this.size;
  }

  add(id: string): CommandIds {
    if (this.has(id)) return this;
    let shared = this.shared;
    if (shared.size !== this.size) {
      shared = { ids: new Map([...shared.ids].filter(([, index]) => index < this.size)), size: this.size };
    }
    shared.ids.set(id, this.size);
    shared.size = this.size + 1;
    return new CommandIds(shared, this.size + 1);
  }
}

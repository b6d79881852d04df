const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `15m`, `12h`, `7d` → milliseconds (`250ms` too, for tests and fine tuning). */
export function parseDuration(text: string): number {
  const match = /^(\d+)(ms|[smhd])$/.exec(text.trim());
  if (!match || Number(match[1]) === 0) throw new Error('a duration such as 30s, 15m, 12h or 7d');
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** At most `limit` events per `windowMs`. */
export interface Rate {
  limit: number;
  windowMs: number;
}

/** `10/h` or `10/15m` → a rate; a bare unit means one of it. */
export function parseRate(text: string): Rate {
  const match = /^(\d+)\/(\d*)([smhd])$/.exec(text.trim());
  // A window of no time is no rate: say so, not what a duration looks like.
  if (!match || Number(match[1]) === 0 || (match[2] !== '' && Number(match[2]) === 0)) throw new Error('a rate such as 10/h or 100/15m');
  return { limit: Number(match[1]), windowMs: parseDuration(`${match[2] || '1'}${match[3]}`) };
}

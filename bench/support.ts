import Database from 'better-sqlite3';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpus, totalmem } from 'node:os';

export interface Figure {
  name: string;
  value: string;
  baseline?: string;
  ratio?: number;
  target?: string;
  met?: boolean;
}

/** Per second, from a count and elapsed nanoseconds. */
export const perSecond = (count: number, nanos: bigint) => count / (Number(nanos) / 1e9);
export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function timed<T>(work: () => Promise<T> | T): Promise<{ result: T; nanos: bigint }> {
  const started = process.hrtime.bigint();
  const result = await work();
  return { result, nanos: process.hrtime.bigint() - started };
}

/** The milliseconds each of `runs` calls of a synchronous `work` took, for latency percentiles. */
export const timeEach = (runs: number, work: () => unknown) =>
  Array.from({ length: runs }, () => {
    const started = process.hrtime.bigint();
    work();
    return Number(process.hrtime.bigint() - started) / 1e6;
  });

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The raw baseline of the embedded store: single-event inserts, one transaction each, same settings. */
export class RawInserts {
  private readonly db: Database.Database;
  private readonly once: (i: number) => void;
  private next = 0;

  constructor(file: string, private readonly payload: unknown) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec('CREATE TABLE IF NOT EXISTS raw (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT, revision INTEGER, data TEXT, UNIQUE (stream, revision))');
    const insert = this.db.prepare('INSERT INTO raw (stream, revision, data) VALUES (?, ?, ?)');
    this.once = this.db.transaction((i: number) => insert.run(`s-${i % 100}`, Math.floor(i / 100), JSON.stringify(this.payload)));
  }

  /** Inserts `count` rows one transaction each; answers the rate. */
  run(count: number): number {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) this.once(this.next++);
    return perSecond(count, process.hrtime.bigint() - started);
  }

  close(): void {
    this.db.close();
  }
}

export const median = (values: number[]) => percentile(values, 50);

export function eventLoopMonitor() {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return {
    stop: () => {
      histogram.disable();
      return { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
    },
  };
}

export const machine = () => `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

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

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The raw baseline of the embedded store: single-event inserts, one transaction each, same settings. */
export function rawInserts(file: string, count: number, payload: unknown): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS raw (position INTEGER PRIMARY KEY AUTOINCREMENT, stream TEXT, revision INTEGER, data TEXT, UNIQUE (stream, revision))');
  const insert = db.prepare('INSERT INTO raw (stream, revision, data) VALUES (?, ?, ?)');
  const once = db.transaction((i: number) => insert.run(`s-${i % 100}`, Math.floor(i / 100), JSON.stringify(payload)));
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) once(i);
  const rate = perSecond(count, process.hrtime.bigint() - started);
  db.close();
  return rate;
}

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

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandsBench } from './commands.bench';
import { eventLoopBench } from './event-loop.bench';
import { httpBench } from './http.bench';
import { projectionBench } from './projection.bench';
import { machine, type Figure } from './support';
import { webhooksBench } from './webhooks.bench';

/**
 * `npm run bench`: every benchmark, each against a raw baseline measured in the same run.
 * `npm run bench -- --write` also puts the table into docs/performance.md.
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  const benches: Array<[string, () => Promise<Figure[]>]> = [
    ['commands', () => commandsBench(quick ? 500 : 3000)],
    ['http', () => httpBench(quick ? 3 : 10)],
    ['projection', () => projectionBench(quick ? 100_000 : 1_000_000)],
    ['event-loop', () => eventLoopBench(quick ? 5 : 15)],
    ['webhooks', () => webhooksBench(quick ? 99 : 399)],
  ];
  const figures: Figure[] = [];
  for (const [name, run] of benches) {
    if (only && only !== name) continue;
    process.stderr.write(`running ${name}…\n`);
    const results = await run();
    for (const f of results) print(f);
    figures.push(...results);
  }
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}.`,
    '',
    '| what | figure | raw baseline (same run) | ratio | target |',
    '|---|---|---|---|---|',
    ...figures.map((f) => `| ${f.name} | ${f.value} | ${f.baseline ?? '–'} | ${f.ratio === undefined ? '–' : percent(f.ratio)} | ${f.target ? `${f.target} ${f.met ? '(met)' : '(NOT met)'}` : '–'} |`),
  ].join('\n');
  if (process.argv.includes('--write')) {
    const file = join(__dirname, '..', 'docs', 'performance.md');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, `<!-- bench:start -->\n${table}\n<!-- bench:end -->`));
  }
  process.stdout.write(`\n${table}\n`);
}

/** One decimal, so that a ratio just under its target does not print as the target itself. */
const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;

function print(f: Figure): void {
  const ratio = f.ratio === undefined ? '' : `  ratio ${percent(f.ratio)}${f.target ? ` (target ${f.target}: ${f.met ? 'met' : 'NOT met'})` : ''}`;
  process.stdout.write(`${f.name}: ${f.value}${f.baseline ? `  | baseline ${f.baseline}` : ''}${ratio}\n`);
}

main().then(
  () => process.exit(0), // not a skipped test: ends the bench run, which load-tool sockets would keep open
  (error) => {
    console.error(error);
    process.exit(1); // not a skipped test: ends a failed bench run with a failure code
  },
);

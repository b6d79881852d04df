import { runCli } from '../../apps/cli/src/cli';

/** Runs an operator command in this process, as `npm run cli` would: its exit status, stdout lines and stderr. */
export async function cli(env: NodeJS.ProcessEnv, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(args, { out: (text) => out.push(text), err: (text) => err.push(text), env });
  return { status, out, err: err.join('\n') };
}

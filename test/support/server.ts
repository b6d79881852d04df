import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { undocumented } from './documented-answers';

const root = join(__dirname, '..', '..');
export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

export interface RunningServer {
  url: string;
  dataDir: string;
  logs: string[];
  process: ChildProcess;
  /** Stops the server (SIGTERM, or SIGKILL for a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Removes the data folder. */
  cleanUp(): void;
}

/**
 * Servers started and not yet exited. A test that fails before it stops its own would otherwise
 * leave one running, and jest would wait for it forever instead of ending the run with the failure.
 */
const running = new Set<ChildProcess>();
// Not under jest (the HTTP bench starts servers too), there is no afterAll, and no test to outlive.
if (typeof afterAll === 'function') {
  afterAll(async () => {
    await Promise.all([...running].map((child) => new Promise((resolve) => child.once('close', resolve).kill('SIGKILL'))));
  });
}

/**
 * Starts the real API server in its own process, as `npm start` does (but from the TypeScript
 * sources), on a free port and a fresh or given data folder.
 */
export async function startServer(env: Record<string, string> = {}, dataDir = mkdtempSync(join(tmpdir(), 'reclaim-e2e-'))): Promise<RunningServer> {
  const child = spawn(process.execPath, ['-r', join(root, 'scripts', 'ts-register.js'), join(root, 'apps', 'api', 'src', 'main.ts')], {
    env: {
      ...process.env,
      PORT: '0',
      RECLAIM_DATA_DIR: dataDir,
      RECLAIM_ADMIN_TOKEN: ADMIN_TOKEN,
      RECLAIM_BCRYPT_COST: '4',
      RECLAIM_SUBMISSION_LIMIT: '10000/h',
      RECLAIM_CLIENT_CODE_ATTEMPT_LIMIT: '10000/h',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('close', () => running.delete(child));
  const logs: string[] = [];
  // 'close', not 'exit': once the output is read too, so that a server that fails to start says why.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    // A server that never starts is stopped, so that it does not outlive the test run.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start:\n${logs.join('\n')}`));
    }, 30000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        logs.push(line);
        const port = /"port":(\d+)/.exec(line)?.[1];
        if (port && line.includes('listening')) {
          clearTimeout(timer);
          resolve(`http://127.0.0.1:${port}`);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer); // else its 30 s would keep the test run from ending
      reject(new Error(`server exited with ${code}:\n${logs.join('\n')}`));
    });
  });
  return {
    url,
    dataDir,
    logs,
    process: child,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
    cleanUp: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Runs a test against a server of its own, started with `env`; stops it and removes its data folder however the test ends. */
export async function withServer<T>(env: Record<string, string>, test: (server: RunningServer) => Promise<T>): Promise<T> {
  const server = await startServer(env);
  try {
    return await test(server);
  } finally {
    await server.stop();
    server.cleanUp();
  }
}

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A plain HTTP client for the tests; it fails a test whose answer is not as docs/openapi.json says. */
export function client(url: string) {
  return async function call<T = any>(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string | Uint8Array } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Uint8Array | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    // The URL as sent: fetch resolves `.` and `..` segments first.
    const problem = undocumented(method, new URL(response.url), { status: response.status, headers: response.headers, body: parsed }, { headers: options.headers, body: options.body });
    if (problem) throw new Error(`The answer is not as docs/openapi.json says: ${problem}`);
    return { status: response.status, headers: response.headers, body: parsed as T };
  };
}

export type Call = ReturnType<typeof client>;

/** Creates a staff member through the API with the bootstrap admin token; answers its token. */
export async function createStaff(call: Call, role: string, name = role): Promise<string> {
  return (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name, role } })).body.token as string;
}

/**
 * Polls `check` every 50 ms until it holds or `timeoutMs` has passed; answers whether it held,
 * so the caller's own assertion can say what is missing.
 */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Like `eventually`, but throws when `check` never holds. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20000): Promise<void> {
  if (!(await eventually(check, timeoutMs))) throw new Error('timed out waiting');
}

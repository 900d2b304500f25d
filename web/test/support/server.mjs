// Runs the real mmo server binary for the browser tests: builds it, finds a free port, starts
// it, waits until it answers /health, and stops it gracefully (SIGTERM) or abruptly (SIGKILL).

import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const repoDir = resolve(webDir, '..');
export const resultsDir = join(webDir, 'test-results');

/**
 * The debug build of `relativePath` under target/debug (a binary, or `examples/NAME`), after
 * `cargo build --workspace --bins --examples`: the whole workspace with its dev-dependencies'
 * features, as `cargo test --workspace` builds it, so after the Rust tests this is a no-op and
 * nothing is compiled (or stored in target/) a second time with other features.
 * @param {string} relativePath
 * @returns {string}
 * @throws {Error} when it does not build or the binary is missing
 */
export function cargoBinary(relativePath) {
  const args = ['build', '--quiet', '--locked', '--workspace', '--bins', '--examples'];
  const build = spawnSync('cargo', args, { cwd: repoDir, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(`cargo ${args.join(' ')} failed (exit ${build.status}):\n${build.stderr}`);
  }
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repoDir, process.env.CARGO_TARGET_DIR) : join(repoDir, 'target');
  const binary = join(targetDir, 'debug', relativePath);
  if (!existsSync(binary)) throw new Error(`cargo ${args.join(' ')} succeeded but ${binary} is missing`);
  return binary;
}

/**
 * The server binary: `MMO_SERVER_BIN` when set (nothing is built), otherwise the workspace's
 * debug build (see `cargoBinary`). Building here rather than trusting an old
 * binary matters: the binary embeds web/dist at build time, so a stale one would serve a stale
 * page.
 * @returns {string}
 */
export function serverBinary() {
  if (process.env.MMO_SERVER_BIN) return resolve(process.env.MMO_SERVER_BIN);
  return cargoBinary('mmo-server');
}

/**
 * A port that was free a moment ago. The server cannot report a port it picked itself, so
 * the OS picks one for a throwaway socket and the server is started on it.
 * @returns {Promise<number>}
 */
export async function freePort() {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  probe.close();
  await once(probe, 'close');
  return address.port;
}

/**
 * Calls `check` until it returns a truthy value or `timeoutMs` passes.
 * @template T
 * @param {() => Promise<T>} check
 * @param {number} timeoutMs
 * @param {string} what for the error message
 * @returns {Promise<T>}
 */
export async function waitUntil(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The servers' database folders, removed as the test process exits (its servers have stopped). */
const dataDirs = /** @type {string[]} */ ([]);
process.once('exit', () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** One running server process. */
export class ServerProcess {
  /**
   * A server with accounts, as by default, kept in an SQLite file of its own (never the
   * default `mmo.db` in the working directory, which is the repository): it lives as long as
   * this object, so accounts outlive a restart as they do in production, and no run sees
   * another's accounts. `extraArgs` with `--database` chooses otherwise.
   * @param {string} binary
   * @param {number} port
   * @param {string[]} extraArgs more flags, e.g. `['--chat-rate', '1']`
   */
  constructor(binary, port, extraArgs = []) {
    this.binary = binary;
    this.port = port;
    /** @type {string | null} the folder holding this server's database, removed when the tests end */
    this.dataDir = null;
    if (!extraArgs.includes('--database')) {
      const dataDir = mkdtempSync(join(tmpdir(), 'mmo-web-db-'));
      this.dataDir = dataDir;
      dataDirs.push(dataDir);
      extraArgs = ['--database', `sqlite://${join(this.dataDir, 'accounts.db')}`, ...extraArgs];
    }
    this.extraArgs = extraArgs;
    /** @type {import('node:child_process').ChildProcess | null} */
    this.child = null;
    this.starts = 0;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** Starts the process and resolves once `GET /health` answers 200. */
  async start() {
    mkdirSync(resultsDir, { recursive: true });
    this.starts += 1;
    // Logs go to a file per start, for a person to read when a test fails.
    const log = createWriteStream(join(resultsDir, `server-${this.port}-${this.starts}.log`));
    const child = spawn(this.binary, ['--host', '127.0.0.1', '--port', String(this.port), ...this.extraArgs], {
      cwd: repoDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.child = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    await waitUntil(
      async () => {
        if (exited) throw new Error(`server exited early (see ${log.path})`);
        const response = await fetch(`${this.httpUrl}/health`);
        return response.status === 200;
      },
      15_000,
      `${this.httpUrl}/health`,
    );
  }

  /**
   * Stops the process with `signal` and waits for it to exit.
   * @param {'SIGTERM' | 'SIGKILL'} signal SIGTERM lets it close connections politely; SIGKILL
   *   is a crash as clients see it
   */
  async stop(signal = 'SIGTERM') {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }

  /** GET /api/status, parsed. */
  async status() {
    const response = await fetch(`${this.httpUrl}/api/status`);
    if (!response.ok) throw new Error(`/api/status: HTTP ${response.status}`);
    return response.json();
  }
}

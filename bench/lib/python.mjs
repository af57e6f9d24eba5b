// A Python peer as a long-lived child process (/usr/bin/python3, not the python3 on PATH) speaking the JSON-lines
// protocol of bench/peers/peer_server.py, so that it alternates with our core repetition by repetition.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';
const peersDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'peers');

export class PythonPeer {
  /** `script` is a file in bench/peers/; `env` adds environment variables (e.g. OMP_NUM_THREADS). */
  constructor(script, env = {}) {
    this.script = script;
    this.env = env;
    this.child = null;
    this.pending = [];
    this.stderr = '';
  }

  /** Starts the process and sets the peer up: resolves {ok, ...} or {skipped: reason}. */
  async setup(config) {
    if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found (see bench/README.md)` };
    this.child = spawn(PYTHON, [join(peersDir, this.script)], {
      env: { ...process.env, ...this.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (d) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.child.on('exit', () => {
      for (const p of this.pending.splice(0))
        p.reject(new Error(`peer ${this.script} exited: ${this.lastError()}`));
    });
    this.child.on('error', (e) => {
      for (const p of this.pending.splice(0)) p.reject(e);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const p = this.pending.shift();
      if (!p) return;
      try {
        p.resolve(JSON.parse(line));
      } catch {
        p.reject(new Error(`peer ${this.script} wrote a non-JSON line: ${line.slice(0, 200)}`));
      }
    });
    const reply = await this.send({ cmd: 'setup', config });
    if (reply.error) return { skipped: `${this.script}: ${reply.error}` };
    return reply;
  }

  lastError() {
    const lines = this.stderr.trim().split('\n');
    return lines[lines.length - 1] ?? '';
  }

  send(msg) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(JSON.stringify(msg) + '\n');
    });
  }

  /** One timed repetition: the peer's own measured seconds (and any extra figures it returns). */
  async run() {
    const reply = await this.send({ cmd: 'run' });
    if (reply.error) throw new Error(`${this.script}: ${reply.error}`);
    this.lastReply = reply;
    return reply.seconds;
  }

  async close() {
    if (!this.child || this.child.exitCode !== null) return;
    try {
      this.child.stdin.write(JSON.stringify({ cmd: 'quit' }) + '\n');
      this.child.stdin.end();
    } catch {
      // already gone
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 2000))]);
    if (this.child.exitCode === null) this.child.kill();
  }
}

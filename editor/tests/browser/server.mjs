// Starts a real `switchboard serve` on a free loopback port with a fresh SQLite file, the
// reference workflows and a known admin token, for the browser tests; stops it after.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../../..");

// The key that seals secrets, one per test run: on PostgreSQL (SWITCHBOARD_BROWSER_DB) every
// scenario's server opens the same database, as several processes of one deployment would,
// and there is no key file to fall back on.
const secretKey = process.env.SWITCHBOARD_SECRET_KEY ?? randomBytes(32).toString("base64");

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

export async function startServer() {
  const binary = process.env.SWITCHBOARD_BIN ?? join(root, "target/debug/switchboard");
  const dir = mkdtempSync(join(tmpdir(), "switchboard-browser-"));
  const port = await freePort();
  const token = `sb_browser_test_admin_${Math.random().toString(16).slice(2)}_${Date.now()}`;
  const child = spawn(
    binary,
    // SWITCHBOARD_BROWSER_DB: an empty database to serve from instead (a postgres:// URL).
    ["serve", "--listen", `127.0.0.1:${port}`, "--db", process.env.SWITCHBOARD_BROWSER_DB ?? join(dir, "test.db"), "--workflows", join(root, "workflows")],
    { env: { ...process.env, SWITCHBOARD_ADMIN_TOKEN: token, SWITCHBOARD_SECRET_KEY: secretKey, RUST_LOG: "warn" }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`switchboard exited: ${log}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    token,
    binary,
    dir,
    log: () => log,
    async api(method, path, body) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text };
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

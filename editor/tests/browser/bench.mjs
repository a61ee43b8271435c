// Benchmark: is a 300-step workflow still responsive on the canvas? Imports a generated
// 300-step workflow into a real `switchboard serve`, opens it in Debian's Chromium and
// measures opening (draft loaded, ELK layout, first paint of the nodes) and the frame times
// while panning, zooming and dragging a step, from requestAnimationFrame timestamps.
// Run: `npm run bench:browser` (needs the built binary, like the browser tests). Figures go
// to BENCHMARKS.md by hand; this is not a pass/fail test.

import { chromium } from "playwright-core";
import { stringify } from "yaml";
import { startServer } from "./server.mjs";

const STEPS = Number(process.env.STEPS ?? 300);
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** A long flow: messages, with a three-way question every tenth step (all options lead on). */
function bigWorkflow(n) {
  const steps = {};
  for (let i = 0; i < n; i++) {
    const id = `s${i}`;
    const next = i + 1 < n ? `s${i + 1}` : null;
    if (i % 10 === 5) {
      steps[id] = {
        kind: "ask", type: "choice", text: `Question ${i}?`,
        options: [{ id: "a", label: "A" }, { id: "b", label: "B" }, { id: "c", label: "C" }],
        ...(next ? { next: { a: next, b: next, c: next, invalid: next, timeout: next } } : {}),
        timeout: "1h",
      };
    } else {
      steps[id] = { kind: "send_message", text: `Message number ${i}`, ...(next ? { next: { next } } : {}) };
    }
  }
  return stringify({ schema: 1, id: "big", name: `Big (${n} steps)`, trigger: { type: "manual" }, start: "s0", steps });
}

function stats(frames) {
  const sorted = [...frames].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    frames: frames.length,
    median_ms: +at(0.5).toFixed(1),
    p95_ms: +at(0.95).toFixed(1),
    worst_ms: +(sorted[sorted.length - 1] ?? 0).toFixed(1),
  };
}

async function measure(page, gesture) {
  await page.evaluate(() => {
    window.__frames = [];
    window.__recording = true;
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (window.__recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  await gesture();
  const elapsed = Date.now() - started;
  const frames = await page.evaluate(() => {
    window.__recording = false;
    return window.__frames.slice(1);
  });
  return { ...stats(frames), gesture_ms: elapsed };
}

const server = await startServer();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: FLAGS });
try {
  const imported = await server.api("POST", "/api/workflows", { source: bigWorkflow(STEPS) });
  if (imported.status !== 201) throw new Error(JSON.stringify(imported.body));
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await page.goto(`${server.url}/`);
  await page.getByLabel("API token").fill(server.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Workflows" }).waitFor();

  const openStarted = Date.now();
  await page.goto(`${server.url}/#/w/big`);
  // The canvas draws only the steps in view; the first drawn one means it is up.
  await page.locator(".react-flow__node").first().waitFor();
  const open_ms = Date.now() - openStarted;
  const drawn = await page.locator(".react-flow__node").count();

  const pane = await page.locator(".react-flow__pane").boundingBox();
  const cx = pane.x + pane.width / 2;
  const cy = pane.y + pane.height / 2;
  // Zoom in to a working scale first (the fitted view of 300 steps is tiny).
  await page.mouse.move(cx, cy);
  for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -200);

  const pan = await measure(page, async () => {
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    await page.mouse.move(cx - 600, cy - 100, { steps: 60 });
    await page.mouse.up();
  });
  const zoom = await measure(page, async () => {
    await page.mouse.move(cx, cy);
    for (let i = 0; i < 20; i++) await page.mouse.wheel(0, i < 10 ? 120 : -120);
  });
  const node = page.locator(".react-flow__node").first();
  const box = await node.boundingBox();
  const drag = await measure(page, async () => {
    await page.mouse.move(box.x + 40, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + 240, box.y + 160, { steps: 60 });
    await page.mouse.up();
  });
  const result = { steps: STEPS, nodes_drawn_at_open: drawn, open_ms, pan, zoom, drag };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await server.stop();
}

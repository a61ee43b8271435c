// Browser tests: Debian's Chromium driven by playwright-core against a real `switchboard
// serve` (tests/browser/server.mjs). Each stage leaves a screenshot in test-results/.
// Run with `npm run test:browser` (the binary must be built: SWITCHBOARD_BIN or
// ../target/debug/switchboard).

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { parse } from "yaml";
import { startServer } from "./server.mjs";

const results = resolve(import.meta.dirname, "../../test-results");
// Start clean, so every screenshot left is from this run.
rmSync(results, { recursive: true, force: true });
mkdirSync(results, { recursive: true });
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

const scenarios = [];
const scenario = (name, fn) => scenarios.push({ name, fn });

async function signIn(page, server) {
  await page.goto(`${server.url}/`);
  await page.getByLabel("API token").fill(server.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Workflows" }).waitFor();
}

/** Drags from one handle to another with real mouse moves, as a person would. */
async function drag(page, from, to) {
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  assert.ok(a && b, "both handles are on screen");
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 8 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

const node = (page, id) => page.locator(`.react-flow__node [data-step="${id}"]`);
const port = (page, id, name) => node(page, id).locator(`[data-port="${name}"] .react-flow__handle`);
const input = (page, id) => node(page, id).locator(".react-flow__handle.in");

scenario("the reference workflows open on the canvas", async (page, server, shot) => {
  await signIn(page, server);
  for (const name of ["CSAT survey", "FAQ menu"]) {
    await page.getByRole("link", { name }).waitFor();
  }
  await shot("list");
  await page.getByRole("link", { name: "CSAT survey" }).click();
  await node(page, "escalate").waitFor();
  assert.equal(await page.locator(".react-flow__node").count(), 8, "the trigger and seven steps");
  assert.equal(await page.locator(".react-flow__edge").count(), 7);
  await node(page, "check_score").click();
  await page.getByRole("complementary", { name: "Step settings" }).getByText("Branch").first().waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).isDisabled(), true, "opening a form changes nothing");
  await shot("csat");

  // Find a step with the keyboard.
  await page.keyboard.press("Control+k");
  await page.getByRole("dialog", { name: "Find a step" }).getByLabel("Find a step").fill("unhand");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector('input[aria-label="Step id"]')?.value === "unhandled");

  // "+" on a free port: the palette opens and the step picked is connected to that port.
  await node(page, "tag_followup").getByRole("button", { name: "Add a step after tag_followup (next)" }).click();
  await page.getByRole("complementary", { name: "Steps" }).getByText("Pick a step to connect to").waitFor();
  await page.getByRole("complementary", { name: "Steps" }).locator('[data-kind="add_comment"]').click();
  await page.locator('.react-flow__edge[data-id="tag_followup:next"]').waitFor();
  await shot("plus-on-port");

  // Copy a step here and paste it into another workflow.
  await page.keyboard.press("Control+k");
  await page.getByRole("dialog", { name: "Find a step" }).getByLabel("Find a step").fill("escalate");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelector('input[aria-label="Step id"]')?.value === "escalate");
  await page.keyboard.press("Control+c");
  await page.getByRole("status").filter({ hasText: "Copied step escalate" }).waitFor();
  await page.getByRole("link", { name: "Back to workflows" }).click();
  await page.getByRole("link", { name: "FAQ menu" }).click();
  await node(page, "menu").waitFor();
  await page.keyboard.press("Control+v");
  await node(page, "escalate").waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).isDisabled(), false, "the paste is an unsaved change");
  await shot("pasted");
});

scenario("every reference workflow opens and exports with its meaning intact", async (page, server) => {
  await signIn(page, server);
  const dir = resolve(import.meta.dirname, "../../../workflows");
  for (const name of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
    const original = parse(readFileSync(join(dir, name), "utf8"));
    await page.goto(`${server.url}/#/w/${original.id}`);
    await page.locator('[data-step="trigger"]').waitFor();
    assert.equal(await page.getByRole("button", { name: "Save" }).isDisabled(), true, `${name}: opening changes nothing`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export YAML" }).click()]);
    const file = join(server.dir, `roundtrip-${name}`);
    await download.saveAs(file);
    const { layout: positions, ...exported } = parse(readFileSync(file, "utf8"));
    const { layout: given, ...written } = original;
    // Everything is as written; positions the file gave are kept, the others laid out.
    assert.deepEqual(exported, written, `${name} keeps its meaning`);
    for (const [step, at] of Object.entries(given?.steps ?? {})) assert.deepEqual(positions.steps[step], at, `${name}: ${step} stays put`);
  }
});

scenario("a new user builds a low-CSAT escalation, publishes it and exports it", async (page, server, shot) => {
  await signIn(page, server);
  page.once("dialog", (d) => d.accept("Low CSAT follow-up"));
  await page.getByRole("button", { name: "New workflow" }).click();
  await page.locator('[data-step="trigger"]').waitFor();

  // Trigger: conversation closed.
  await page.locator('[data-step="trigger"]').click();
  const triggerForm = page.getByRole("complementary", { name: "Trigger settings" });
  await triggerForm.locator("select").first().selectOption({ label: "conversation_closed" });
  await page.locator('[data-step="trigger"]', { hasText: "conversation_closed" }).waitFor();
  await shot("trigger");

  // Ask for a rating: added from the palette, it becomes the first step.
  await page.getByRole("complementary", { name: "Steps" }).locator('[data-kind="ask"]').click();
  await node(page, "ask").waitFor();
  assert.equal(await page.locator(".react-flow__edge").count(), 1, "the trigger leads to the first step");
  const stepForm = page.getByRole("complementary", { name: "Step settings" });
  await stepForm.locator("select").first().selectOption("rating");
  await stepForm.locator('textarea[id="root_text"]').fill("How would you rate our help?");
  await node(page, "ask").getByText("How would you rate our help?").waitFor();

  // Branch on a low score, connected by dragging the "answered" port onto it.
  await page.getByRole("complementary", { name: "Steps" }).locator('[data-kind="branch"]').click();
  await node(page, "branch").waitFor();
  await drag(page, port(page, "ask", "answered"), input(page, "branch"));
  await page.locator('.react-flow__edge[data-id="ask:answered"]').waitFor();
  // A branch step without branches is an error, shown on the node; publishing is blocked.
  await node(page, "branch").locator(".node-problems.error").waitFor();
  assert.equal(await page.getByRole("button", { name: "Publish" }).isDisabled(), true);
  await shot("validation-error");
  await node(page, "branch").click();
  await stepForm.locator("button.btn-add").first().click();
  await stepForm.locator('input[id="root_branches_0_name"]').fill("low");
  // The condition as a row: field (suggested from the variables), operator, value.
  await stepForm.getByRole("button", { name: "+ Add row" }).click();
  await stepForm.getByLabel("Field").fill("steps.ask.answer");
  await stepForm.getByLabel("Operator").selectOption({ label: "≤" });
  await stepForm.getByLabel("Value").fill("2");
  await node(page, "branch").locator('[data-port="low"]').waitFor();

  // Escalate, connected from the branch's new "low" port.
  await page.getByRole("complementary", { name: "Steps" }).locator('[data-kind="escalate"]').click();
  await node(page, "escalate").waitFor();
  // The note is a template: `{{` offers the variables, a click inserts one.
  const note = stepForm.locator('textarea[id="root_note"]');
  await note.click();
  await note.pressSequentially("Low score from {{contact.na");
  await stepForm.getByRole("listbox", { name: "Variables" }).getByRole("option", { name: "contact.name" }).click();
  assert.equal(await note.inputValue(), "Low score from {{contact.name}}");
  await drag(page, port(page, "branch", "low"), input(page, "escalate"));
  await page.locator('.react-flow__edge[data-id="branch:low"]').waitFor();
  await page.locator(".node-problems.error").first().waitFor({ state: "detached" });
  await shot("built");

  // Publish.
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByRole("status").filter({ hasText: "Published version 1" }).waitFor();
  await shot("published");
  const { body: versions } = await server.api("GET", "/api/workflows/low-csat-follow-up/versions");
  assert.equal(versions.length, 1);

  // Test chat: the conversation closes, the flow asks for stars; two stars take the low
  // branch to the escalation, and the canvas shows the path the run took.
  await page.getByRole("button", { name: "Test", exact: true }).click();
  const chat = page.getByRole("complementary", { name: "Test chat" });
  await chat.getByRole("button", { name: "Start test" }).click();
  await chat.locator(".bubble.out", { hasText: "How would you rate our help?" }).waitFor();
  await shot("test-chat-question");
  await chat.getByRole("button", { name: "2 stars" }).click();
  await chat.locator(".bubble.in", { hasText: "★★" }).waitFor();
  await page.locator('.react-flow__edge.on-path[data-id="ask:answered"]').waitFor();
  await page.locator('.react-flow__edge.on-path[data-id="branch:low"]').waitFor();
  await page.locator(".react-flow__node.on-path", { has: page.locator('[data-step="escalate"]') }).waitFor();
  await chat.locator('.line.status[data-run-status="completed"]').waitFor();
  assert.equal(await page.locator(".react-flow__node.current").count(), 0, "the run ended: no step is current");
  await shot("test-chat-path");
  // "Pretend it is Saturday 10:00 in Tokyo": the session's clock moves there.
  await chat.getByText("Pretend it is…").click();
  await chat.getByLabel("Pretend date and time").fill("2026-12-05T10:00");
  await chat.getByLabel("Timezone").fill("Asia/Tokyo");
  await chat.getByRole("button", { name: "Set", exact: true }).click();
  await chat.getByTestId("session-clock").filter({ hasText: "The session's time: Sat 2026-12-05 10:0" }).waitFor();
  await shot("test-chat-clock");
  await chat.getByRole("button", { name: "Close the test chat" }).click();
  await page.locator(".react-flow__edge.on-path").first().waitFor({ state: "detached" });

  // Auto-layout moves the steps; then undo and redo an edit.
  const before = await node(page, "escalate").evaluate((el) => el.closest(".react-flow__node").style.transform);
  await page.getByRole("button", { name: "Auto-layout" }).click();
  await page.waitForFunction(
    (was) => document.querySelector('[data-step="escalate"]')?.closest(".react-flow__node")?.style.transform !== was,
    before,
  );
  await shot("laid-out");
  await node(page, "ask").click();
  await stepForm.locator('textarea[id="root_text"]').fill("Rate us, please");
  await node(page, "ask").getByText("Rate us, please").waitFor();
  await page.locator(".react-flow__pane").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("Control+z");
  await node(page, "ask").getByText("How would you rate our help?").waitFor();
  await page.keyboard.press("Control+Shift+z");
  await node(page, "ask").getByText("Rate us, please").waitFor();
  await shot("undo-redo");

  // Export the YAML and check it with `switchboard validate`.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export YAML" }).click(),
  ]);
  const file = join(server.dir, "exported.yaml");
  await download.saveAs(file);
  const exported = readFileSync(file, "utf8");
  assert.match(exported, /field: steps\.ask\.answer\s+op: lte\s+value: 2/, exported);
  const out = execFileSync(server.binary, ["validate", file], { encoding: "utf8" });
  assert.match(out, /ok|valid|0 errors/i, out);
});

scenario("runs on the canvas, a run's path, a visual diff between versions and a rollback", async (page, server, shot) => {
  // Only CSAT asks after a close (another scenario may have published a flow that does too).
  const { body: all } = await server.api("GET", "/api/workflows");
  for (const w of all.filter((w) => w.trigger_type === "conversation_closed" && w.id !== "csat")) {
    await server.api("POST", `/api/workflows/${w.id}/stop`, {});
  }
  // Three contacts close a conversation; two answer the CSAT question (5 and 2 stars).
  // Each event carries only its kind's fields: the API refuses unknown ones.
  const event = (id, type, who, extra) => ({
    source: "browser-test", id, type,
    contact: { address: { channel: "simulator", address: who } }, ...extra,
  });
  const events = [];
  for (const [who, stars] of [["ana", "5"], ["ben", "2"], ["cy", null]]) {
    events.push(event(`${who}-1`, "message_received", who, { channel: "simulator", message: { text: "hello" } }));
    events.push(event(`${who}-2`, "conversation_closed", who, { closed_by: "agent:someone", category: "resolved" }));
    if (stars) {
      events.push(event(`${who}-3`, "message_received", who, { channel: "simulator", message: { text: "★", payload: stars } }));
    }
  }
  assert.equal((await server.api("POST", "/api/events", events)).status, 202);

  await signIn(page, server);
  await page.getByRole("link", { name: "CSAT survey" }).click();
  await node(page, "ask_rating").waitFor();
  await page.getByRole("button", { name: "Runs", exact: true }).click();
  const runs = page.getByRole("complementary", { name: "Runs" });
  // Figures arrive as the events are processed (the panel follows the workflow live).
  await node(page, "ask_rating").locator(".node-figures", { hasText: "3 runs" }).waitFor();
  await node(page, "ask_rating").locator(".rating", { hasText: "★ 3.50 (2)" }).waitFor();
  await node(page, "ask_rating").locator(".node-figures", { hasText: "1 waiting" }).waitFor();
  await page.locator('.react-flow__edge[data-id="check_score:low"]').getByText("low · 1").waitFor();
  await shot("figures");

  // Pick the escalated run: its path lights up and its journal reads step by step.
  const { body: list } = await server.api("GET", "/api/runs?workflow=csat");
  const escalated = list.find((r) => r.step === "escalate" || r.step === "tag_followup" || r.step === "unhandled");
  assert.ok(escalated, JSON.stringify(list));
  await runs.locator(`tr[data-run="${escalated.id}"]`).click();
  await page.locator('.react-flow__edge.on-path[data-id="check_score:low"]').waitFor();
  await runs.getByRole("list", { name: "Journal" }).getByText("reply “★”").waitFor();
  await shot("run-path");
  await runs.getByRole("button", { name: "Close runs" }).click();

  // A second version changes the question; the diff marks the changed step on the canvas.
  const { body: detail } = await server.api("GET", "/api/workflows/csat");
  const changed = detail.draft.replace("How would you rate our help?", "How did we do today?");
  assert.equal((await server.api("PUT", "/api/workflows/csat/draft", { source: changed, base_revision: detail.revision })).status, 200);
  assert.equal((await server.api("POST", "/api/workflows/csat/publish", {})).status, 200);
  await page.reload();
  await page.locator(".status.published", { hasText: "v2" }).waitFor();
  await page.getByRole("button", { name: "Versions", exact: true }).click();
  const versions = page.getByRole("complementary", { name: "Versions" });
  await versions.locator('[data-version="2"]').getByRole("button", { name: "Compare with v1" }).click();
  await page.locator(".react-flow__node.diff-changed", { has: page.locator('[data-step="ask_rating"]') }).waitFor();
  await versions.getByTestId("diff-summary").getByText("0 added · 1 changed · 0 removed").waitFor();
  assert.equal(await page.locator(".react-flow__node.diff-changed").count(), 1, "only the question changed");
  await shot("diff");

  // Roll back to v1: published again as v3, and the draft is v1's text.
  page.once("dialog", (d) => d.accept());
  await versions.locator('[data-version="1"]').getByRole("button", { name: "Roll back to this" }).click();
  await page.locator(".status.published", { hasText: "v3" }).waitFor();
  await page.getByRole("status").filter({ hasText: "Published version 3" }).waitFor();
  const { body: after } = await server.api("GET", "/api/workflows/csat");
  assert.ok(after.draft.includes("How would you rate our help?"), "the draft is v1's text again");
  await shot("rolled-back");
});

scenario("console: a contact is routed to an agent, escalated to a supervisor by a shortcut, closed, and rates", async (page, server, shot, browser) => {
  // The team: Bob in English support, Sam a supervisor; tokens for both and for the contact page.
  await server.api("PUT", "/api/agents/bob", { name: "Bob Stone", teams: ["support-en"], online: true });
  await server.api("PUT", "/api/agents/sam", { name: "Sam Park", teams: ["supervisors"], online: true });
  const token = async (name, role, agent_id) => (await server.api("POST", "/api/tokens", { name, role, agent_id })).body.token;
  const bobToken = await token("bob", "agent", "bob");
  const samToken = await token("sam", "agent", "sam");
  const contactToken = await token("contact page", "integration", null);
  // The flows in play: pre-chat routing, the escalation shortcut, CSAT (the away message
  // depends on the hour, and the earlier scenarios' flows are not part of this loop).
  const { body: all } = await server.api("GET", "/api/workflows");
  for (const w of all.filter((w) => w.status === "published" && !["pre-chat-routing", "escalation-shortcut", "csat"].includes(w.id))) {
    await server.api("POST", `/api/workflows/${w.id}/stop`, {});
  }

  const signInAt = async (p, path, t) => {
    await p.goto(`${server.url}${path}`);
    await p.getByLabel("API token").fill(t);
    await p.getByRole("button", { name: "Sign in" }).click();
  };
  // The contact writes; the flow asks language and topic; they answer with buttons.
  const contact = await (await browser.newContext({ viewport: { width: 700, height: 900 } })).newPage();
  await signInAt(contact, "/console/contact?address=ana-web&name=Ana%20Lima", contactToken);
  await contact.getByLabel("Message").fill("Hello there");
  await contact.getByRole("button", { name: "Send" }).click();
  await contact.getByRole("button", { name: "English" }).click().catch(async (e) => {
    await contact.screenshot({ path: shot.path("contact-failure") });
    throw e;
  });
  await contact.getByRole("button", { name: "Technical help" }).click();
  // The CRM lookup fails here (no such host), so the topic routes it: Bob's team.
  await contact.getByText("Bob Stone from our team will help you now.").waitFor({ timeout: 60_000 });
  await contact.screenshot({ path: shot.path("contact-routed") });

  // Bob sees it in his inbox, live, and replies.
  await signInAt(page, "/console", bobToken);
  // Bob can go offline and back (the routing above needed him online).
  await page.getByRole("button", { name: "Online" }).click();
  await page.getByRole("button", { name: "Offline" }).waitFor();
  const { body: offline } = await server.api("GET", "/api/agents");
  assert.equal(offline.find((a) => a.id === "bob").online, false);
  await page.getByRole("button", { name: "Offline" }).click();
  await page.getByRole("button", { name: "Online" }).waitFor();
  const inbox = page.getByRole("navigation", { name: "Conversations" });
  await inbox.getByRole("button", { name: /Ana Lima/ }).click();
  const conversation = page.getByRole("main", { name: "Conversation" });
  await conversation.getByText("Hello there").waitFor();
  await conversation.locator(".line.system", { hasText: "Assigned to Bob Stone by a workflow" }).waitFor();
  await conversation.getByLabel("Reply").fill("Hi Ana, Bob here. Let me check.");
  await conversation.getByRole("button", { name: "Send" }).click();
  await contact.getByText("Hi Ana, Bob here. Let me check.").waitFor();
  await shot("agent-replied");

  // A shortcut with a form: escalate to a supervisor.
  const panel = page.getByRole("complementary", { name: "Contact" });
  await panel.getByRole("button", { name: "Escalate to supervisor" }).click();
  const form = panel.getByRole("dialog", { name: "Escalate to supervisor" });
  await form.getByLabel("Reason*").selectOption("Angry customer");
  await form.getByLabel("Priority*").selectOption("high");
  await form.getByLabel("Details").fill("Asked twice already");
  await shot("shortcut-form");
  await form.getByRole("button", { name: "Start" }).click();
  await contact.getByText("A senior colleague, Sam Park, is taking over your conversation.").waitFor();
  // It leaves Bob's console (he no longer sees it) ...
  await page.getByRole("status").filter({ hasText: "handed to another agent or team" }).waitFor();
  await inbox.getByRole("button", { name: /Ana Lima/ }).waitFor({ state: "detached" });
  await shot("escalated");

  // ... and is in Sam's, who closes it; CSAT asks the contact, who gives five stars.
  const sam = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  await signInAt(sam, "/console", samToken);
  await sam.getByRole("navigation", { name: "Conversations" }).getByRole("button", { name: /Ana Lima/ }).click();
  await sam.locator(".line.note", { hasText: "Bob Stone escalated: Angry customer. Asked twice already" }).waitFor();
  await sam.getByTestId("conversation-status").getByText("assigned to sam").waitFor();
  await sam.getByRole("main", { name: "Conversation" }).getByRole("button", { name: "Close…" }).click();
  const close = sam.getByRole("form", { name: "Close the conversation" });
  await close.getByLabel("Summary").fill("Calmed down; refund promised.");
  await close.getByRole("button", { name: "Close conversation" }).click();
  // Closing fires the CSAT workflow: its question shows in the transcript.
  await sam.getByRole("main", { name: "Conversation" }).getByText("How would you rate our help?").waitFor();
  await sam.screenshot({ path: shot.path("supervisor-closed") });
  await contact.getByRole("button", { name: "5 stars" }).click();
  await contact.getByText("Thank you for your feedback!").waitFor();
  await contact.screenshot({ path: shot.path("contact-rated") });
  // The survey talked in a conversation of its own, which closed after the thanks: no open,
  // unassigned conversation is left behind in anyone's inbox.
  const { body: open } = await server.api("GET", "/api/conversations");
  assert.ok(!open.some((c) => c.contact_name === "Ana Lima"), JSON.stringify(open));

  // Bob goes offline; the next contact asking for English support waits in the queue, and
  // Bob's console lists them under Queued with their wait.
  await page.getByRole("button", { name: "Online" }).click();
  await page.getByRole("button", { name: "Offline" }).waitFor();
  const leo = await (await browser.newContext({ viewport: { width: 700, height: 900 } })).newPage();
  await signInAt(leo, "/console/contact?address=leo-web&name=Leo%20Park", contactToken);
  await leo.getByLabel("Message").fill("Hi");
  await leo.getByRole("button", { name: "Send" }).click();
  await leo.getByRole("button", { name: "English" }).click();
  await leo.getByRole("button", { name: "Technical help" }).click();
  const queued = page.getByRole("region", { name: "Queued" }).getByRole("button", { name: /Leo Park/ });
  await queued.waitFor();
  assert.match(await queued.innerText(), /waiting just now[\s\S]*for team support-en, online/);
  await shot("queued");
  const { body: ana } = await server.api("GET", "/api/contacts?limit=1000");
  assert.ok(ana.some((c) => c.name === "Ana Lima" && c.fields.last_csat === 5), "the rating is on the contact");
});

let failed = 0;
const server = await startServer();
scenario("channels: an admin connects WhatsApp; a question previews per channel; a late message warns", async (page, server, shot) => {
  await signIn(page, server);
  await page.getByRole("link", { name: "Channels" }).click();
  await page.getByRole("heading", { name: "Channels" }).waitFor();
  await page.getByRole("button", { name: "Connect a channel" }).click();
  const form = page.getByRole("form", { name: "New connection" });
  await form.getByLabel("Channel", { exact: true }).selectOption("whatsapp");
  await form.getByLabel("Connection id").fill("whatsapp");
  await form.getByLabel("Name", { exact: true }).fill("Support number");
  await form.getByLabel("Phone number id").fill("106540352242922");
  await form.getByLabel("App secret").fill("browser-app-secret-4411");
  await form.getByLabel("Access token").fill("browser-access-token-9922");
  await form.getByLabel("Verify token").fill("browser-verify-7733");
  await form.getByRole("button", { name: "Connect" }).click();
  const row = page.locator('tr[data-connection="whatsapp"]');
  await row.getByText("Support number").waitFor();
  await row.getByText(`${server.url}/api/channels/whatsapp/webhook`).waitFor();
  await row.getByText("App secret ✓").waitFor();
  await shot("connected");
  await page.reload();
  await row.getByText("App secret ✓").waitFor();
  const html = await page.content();
  for (const secret of ["browser-app-secret-4411", "browser-access-token-9922", "browser-verify-7733"]) {
    assert.ok(!html.includes(secret), `${secret} is never shown again`);
  }

  const flow = {
    schema: 1, id: "team-menu", name: "Team menu", trigger: { type: "message_received" }, start: "menu",
    steps: {
      menu: {
        kind: "ask", type: "choice", text: "Which team?",
        options: ["Sales", "Support", "Billing", "Returns", "Partners"].map((label) => ({ id: label.toLowerCase(), label })),
        next: { sales: "pause", support: "pause", billing: "pause", returns: "pause", partners: "pause" },
      },
      pause: { kind: "wait", for: "2d", next: { done: "follow_up" } },
      follow_up: { kind: "send_message", text: "Did we help?" },
    },
  };
  const created = await server.api("POST", "/api/workflows", { source: JSON.stringify(flow) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  await page.goto(`${server.url}/#/w/team-menu`);
  await node(page, "menu").click();
  const preview = page.getByRole("region", { name: "Channel preview" });
  await preview.getByRole("tabpanel", { name: "WhatsApp preview" }).getByText("List message (5 rows)").waitFor();
  await preview.getByRole("tab", { name: "LINE" }).click();
  await preview.getByRole("tabpanel", { name: "LINE preview" }).getByText("Quick replies (5)").waitFor();
  await preview.getByRole("tab", { name: "Telegram" }).click();
  await preview.getByRole("tabpanel", { name: "Telegram preview" }).getByText("Inline keyboard (5 buttons)").waitFor();
  await shot("question-preview");

  await node(page, "follow_up").click();
  const side = page.getByRole("complementary", { name: "Step settings" });
  await side.locator('.problems li.warning[data-code="W0500"]').getByText("outside WhatsApp's 24-hour window").waitFor();
  // The chosen tab stays while steps change; WhatsApp shows what happens after the window.
  await side.getByRole("tab", { name: "WhatsApp" }).click();
  await side.getByRole("note").getByText("Not sent: outside WhatsApp's 24-hour window").waitFor();
  await shot("window-warning");
});

scenario("secrets: an admin adds a secret, it is listed by name only and can be removed", async (page, server, shot) => {
  await signIn(page, server);
  await page.getByRole("link", { name: "Secrets" }).click();
  await page.getByRole("heading", { name: "Secrets" }).waitFor();
  await page.getByRole("button", { name: "Add a secret" }).click();
  const form = page.getByRole("form", { name: "New secret" });
  await form.getByLabel("Name").fill("Bad-Name");
  await form.getByLabel(/^Value/).fill("browser-crm-key-5521");
  await form.getByRole("button", { name: "Add" }).click();
  await form.getByText("lowercase letter").waitFor();
  await form.getByLabel("Name").fill("crm_key");
  await form.getByRole("button", { name: "Add" }).click();
  const row = page.locator('tr[data-secret="crm_key"]');
  await row.getByText("{{ secrets.crm_key }}").waitFor();
  await shot("added");
  await page.reload();
  await row.getByText("{{ secrets.crm_key }}").waitFor();
  assert.ok(!(await page.content()).includes("browser-crm-key-5521"), "the value is never shown again");
  const { body } = await server.api("GET", "/api/secrets");
  assert.ok(!JSON.stringify(body).includes("browser-crm-key-5521"), "nor returned by the API");
  page.once("dialog", (d) => d.accept());
  await row.getByRole("button", { name: "Remove" }).click();
  await page.getByText("No secret yet.").waitFor();
  await shot("removed");
});
/** Polls `check` (an observed condition of the server, not a guessed delay) until it holds. */
async function until(what, check) {
  for (let i = 0; !(await check()); i++) {
    assert.ok(i < 200, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

scenario("dead letters: an event that could not be processed is listed with its reason, retried and discarded", async (page, server, shot) => {
  // Closing a conversation nobody opened is accepted at intake, then refused when processed.
  const close = (address) => ({
    source: "browser", type: "conversation_closed", closed_by: "agent:bob",
    contact: { address: { channel: "simulator", address } },
  });
  assert.equal((await server.api("POST", "/api/events", [close("zed"), close("yan")])).status, 202);
  // Only this scenario's (the server is shared with the other scenarios).
  const deadLetters = async () =>
    (await server.api("GET", "/api/dead-letters")).body.filter((d) => d.source === "api:browser");
  await until("both events to become dead letters", async () => (await deadLetters()).length === 2);

  await signIn(page, server);
  await page.getByRole("link", { name: "Dead letters" }).click();
  await page.getByRole("heading", { name: "Dead letters" }).waitFor();
  const row = (address) => page.locator("tr[data-dead-letter]").filter({ hasText: `${address} on simulator` });
  await row("zed").getByText("no open conversation").waitFor();
  await row("yan").getByText("no open conversation").waitFor();
  await row("zed").getByRole("button", { name: "Show payload" }).click();
  await row("zed").getByLabel(/^Payload of dead letter/).getByText('"conversation_closed"').waitFor();
  await shot("listed");

  // Once zed has written (a conversation is open), Retry queues the close again and it works.
  const said = await server.api("POST", "/api/simulator/messages", { address: "zed", text: "hello" });
  assert.equal(said.status, 201);
  await row("zed").getByRole("button", { name: "Retry" }).click();
  await page.getByRole("status").getByText("was queued again").waitFor();
  await row("zed").waitFor({ state: "detached" });
  await until("the retried close to be processed", async () => {
    const { body } = await server.api("GET", "/api/conversations?status=closed");
    return Array.isArray(body) && body.some((c) => c.contact_id === said.body.contact_id);
  });
  assert.equal((await deadLetters()).length, 1, "the retried event did not fail again");
  await shot("retried");

  page.once("dialog", (d) => d.accept());
  await row("yan").getByRole("button", { name: "Discard" }).click();
  await row("yan").waitFor({ state: "detached" });
  assert.deepEqual(await deadLetters(), []);
  await shot("discarded");
});

/**
 * Collects what must not happen on any page of a context: uncaught errors, and anything the
 * Content-Security-Policy refused (Chromium reports it as a console error), which means the
 * policy and the code disagree.
 */
async function watch(context, errors) {
  context.on("page", (p) => p.on("pageerror", (e) => errors.push(e.message)));
  // A refusal the page's code catches (a library falling back after `eval` failed) is still
  // reported by the browser as a `securitypolicyviolation` event.
  await context.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`),
    ),
  );
  context.on("console", (m) => {
    if (m.type() === "error" && /Content.Security.Policy|CSP violation/i.test(m.text())) errors.push(m.text());
  });
  return context;
}

const browser = await chromium.launch({ executablePath, args: FLAGS });
try {
  for (const { name, fn } of scenarios) {
    const errors = [];
    const context = await watch(await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true }), errors);
    const page = await context.newPage();
    // Pages a scenario opens in contexts of its own (a contact, a second agent) are watched too.
    const watched = { newContext: async (options) => watch(await browser.newContext(options), errors) };
    const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
    let stage = 0;
    const shot = (what) => page.screenshot({ path: shot.path(what) });
    // Where a stage's screenshot goes (for scenarios with several pages).
    shot.path = (what) => join(results, `${slug}-${++stage}-${what}.png`);
    const started = Date.now();
    try {
      await fn(page, server, shot, watched);
      assert.deepEqual(errors, [], "no uncaught errors and no CSP violations in the pages");
      console.log(`PASS ${name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed++;
      await shot("failure").catch(() => undefined);
      console.log(`FAIL ${name}\n${e.stack ?? e}${errors.length ? `\nin the pages: ${errors.join("\n")}` : ""}`);
    }
    await context.close();
  }
} finally {
  await browser.close();
  if (failed) writeFileSync(join(results, "server.log"), server.log());
  await server.stop();
}
console.log(`${scenarios.length - failed} passed, ${failed} failed; screenshots in ${results}`);
process.exit(failed ? 1 : 0);

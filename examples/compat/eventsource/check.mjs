// A real third-party SSE client against the feed server's live stream, with resume.
//
// The npm package eventsource (a WHATWG-compliant EventSource) consumes the detection
// live stream of examples/feedserver twice at once: directly (the reference) and through
// a proxy that cuts every connection after a random number of bytes, often inside a
// frame. The client reconnects by itself, sending the Last-Event-ID the WHATWG rules
// give it (only frames it dispatched count). Meanwhile new indicators are posted over
// TAXII, so the stream is live. The check fails when any create, update, delete or
// merge the reference received (by event and object id) never reached the cut client,
// when a posted indicator never arrived, or when too few cuts happened to mean anything.
// Repeats are allowed (a reconnect may send dependencies again).
//
// Usage (from the repository root, after `npm ci` in this directory):
//   FEEDSERVER=/path/to/feedserver node examples/compat/eventsource/check.mjs
// Without FEEDSERVER it runs `go run ./examples/feedserver`.

import { spawn } from "node:child_process";
import http from "node:http";
import { EventSource } from "eventsource";

const user = "analyst";
const password = "analyst-demo-password"; // internal/demoserver's demo credentials
const streamPath = "/stream/detection-indicators";
const inboxPath = "/taxii2/demo/collections/inbox/objects/";
const posts = 40; // indicators posted while the stream is consumed
const postEvery = 100; // ms
const minCuts = 15;
const deadline = Date.now() + 45_000; // the whole check, the server's start included
const basic = "Basic " + Buffer.from(`${user}:${password}`).toString("base64");
const kinds = ["create", "update", "delete", "merge"];

function fail(msg) {
  console.error("eventsource check: FAIL: " + msg);
  cleanup();
  process.exit(1);
}

const cleanups = [];
function cleanup() {
  for (const c of cleanups.splice(0)) {
    try { c(); } catch { /* already gone */ }
  }
}

// startServer runs the feed server on a free port and resolves with its base URL.
function startServer() {
  const cmd = process.env.FEEDSERVER ? [process.env.FEEDSERVER] : ["go", "run", "./examples/feedserver"];
  const child = spawn(cmd[0], [...cmd.slice(1), "-addr", "127.0.0.1:0", "-indicators", "300"],
    { stdio: ["ignore", "pipe", "inherit"] });
  cleanups.push(() => child.kill("SIGTERM"));
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (b) => {
      out += b;
      const m = out.match(/feed server on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`feed server exited with ${code}`)));
  });
}

// startProxy forwards to upstream and cuts each response after a random number of body
// bytes (1 to 12,000), destroying the socket as a reset or a timeout would. It first
// writes a retry field (20 ms) so the client reconnects at once instead of after its 3 s
// default: a field with no data dispatches nothing and leaves the last event id alone.
function startProxy(upstream) {
  const up = new URL(upstream);
  const stats = { cuts: 0, connections: 0 };
  const server = http.createServer((req, res) => {
    stats.connections++;
    const preq = http.request({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers: req.headers },
      (pres) => {
        res.writeHead(pres.statusCode, pres.headers);
        if (pres.statusCode !== 200) {
          pres.pipe(res);
          return;
        }
        res.write("retry: 20\n\n");
        let budget = 1 + Math.floor(Math.random() * 12_000);
        pres.on("data", (chunk) => {
          if (budget <= 0) return;
          if (chunk.length < budget) {
            budget -= chunk.length;
            res.write(chunk);
            return;
          }
          res.write(chunk.subarray(0, budget), () => {
            stats.cuts++;
            res.socket?.destroy();
            pres.destroy();
          });
          budget = 0;
        });
        pres.on("end", () => res.end());
        pres.on("error", () => res.socket?.destroy());
      });
    preq.on("error", () => res.socket?.destroy());
    req.pipe(preq);
  });
  cleanups.push(() => server.close());
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    url: `http://127.0.0.1:${server.address().port}`, stats,
  })));
}

// consume opens an EventSource on url from the start of the log and records what it
// dispatches: the keys "<event> <object id>" and the last event id.
function consume(url, name) {
  const got = { name, keys: new Set(), lastId: "0", frames: 0, errors: 0 };
  const es = new EventSource(url, {
    fetch: (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set("Authorization", basic);
      if (!headers.has("Last-Event-ID")) headers.set("Last-Event-ID", "0"); // the first connection reads from 0
      return fetch(input, { ...init, headers });
    },
  });
  for (const kind of kinds) {
    es.addEventListener(kind, (ev) => {
      got.frames++;
      got.lastId = ev.lastEventId || got.lastId;
      const msg = JSON.parse(ev.data);
      got.keys.add(`${kind} ${msg.data.id}`);
    });
  }
  es.addEventListener("heartbeat", (ev) => { got.lastId = ev.lastEventId || got.lastId; });
  es.onerror = () => { got.errors++; };
  cleanups.push(() => es.close());
  return got;
}

// compareIDs orders "<ms>-<seq>" event ids.
function compareIDs(a, b) {
  const [am, as = "0"] = a.split("-").map(BigInt);
  const [bm, bs = "0"] = b.split("-").map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}

function indicator(n) {
  const id = `indicator--00000000-0000-4000-8000-${String(900000 + n).padStart(12, "0")}`;
  const now = new Date().toISOString();
  return {
    id, object: {
      type: "indicator", spec_version: "2.1", id, created: now, modified: now, name: `eventsource check ${n}`,
      labels: ["detection"], pattern: `[ipv4-addr:value = '198.18.${n >> 8}.${n & 255}']`, pattern_type: "stix", valid_from: now,
    },
  };
}

async function post(base, obj) {
  const r = await fetch(base + inboxPath, {
    method: "POST",
    headers: { Authorization: basic, "Content-Type": "application/taxii+json;version=2.1", Accept: "application/taxii+json;version=2.1" },
    body: JSON.stringify({ objects: [obj] }),
  });
  if (r.status !== 202) fail(`POST ${inboxPath}: ${r.status} ${await r.text()}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(cond, what) {
  while (!cond()) {
    if (Date.now() > deadline) fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const base = await startServer().catch((e) => fail(e.message));
const proxy = await startProxy(base);
const ref = consume(base + streamPath, "reference");
const cut = consume(proxy.url + streamPath, "cut client");

const posted = [];
for (let n = 0; n < posts; n++) {
  const { id, object } = indicator(n);
  await post(base, object);
  posted.push(id);
  await sleep(postEvery);
}
await until(() => posted.every((id) => ref.keys.has(`create ${id}`)), "the reference to receive every posted indicator");
const refLast = ref.lastId;
await until(() => compareIDs(cut.lastId, refLast) >= 0, `the cut client to reach ${refLast} (it is at ${cut.lastId})`);

const missing = [...ref.keys].filter((k) => !cut.keys.has(k));
const lostPosts = posted.filter((id) => !cut.keys.has(`create ${id}`));
console.log(`eventsource check: reference ${ref.frames} frames (${ref.keys.size} keys) up to ${refLast}; ` +
  `cut client ${cut.frames} frames (${cut.keys.size} keys) over ${proxy.stats.connections} connections, ${proxy.stats.cuts} cuts`);
if (missing.length > 0) fail(`${missing.length} events never reached the cut client, e.g. ${missing.slice(0, 5).join(", ")}`);
if (lostPosts.length > 0) fail(`${lostPosts.length} posted indicators never reached the cut client`);
if (proxy.stats.cuts < minCuts) fail(`only ${proxy.stats.cuts} cuts (want at least ${minCuts}): the check proved little`);
console.log("eventsource check: ok, nothing lost");
cleanup();
process.exit(0);

// A Node test suite (node --test) for device_login.mjs against `authmock serve`:
// the test is the user, approving or denying the device code through the
// control API.
//
//   AUTHMOCK_COMMAND='["authmock"]' node --test

import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLIENT = fileURLToPath(new URL("device_login.mjs", import.meta.url));
const command = JSON.parse(process.env.AUTHMOCK_COMMAND ?? '["authmock"]');
let server;
let record;

async function control(method, path, body) {
  const response = await fetch(record.control_api + path, {
    method,
    headers: {
      authorization: `Bearer ${record.admin_token}`,
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: response.status === 204 ? null : await response.json() };
}

// Start the program under test; resolves its first line, then its end.
function login() {
  const child = spawn(process.execPath, [CLIENT, record.issuer]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const firstLine = once(createInterface({ input: child.stdout }), "line").then(([line]) => line);
  const done = once(child, "exit").then(([code]) => ({ code, stdout, stderr }));
  return { firstLine, done };
}

before(async () => {
  server = spawn(command[0], [...command.slice(1), "serve", "--json", "--quiet"], {
    // Poll without waiting: the device flow's interval, from the environment.
    env: { ...process.env, AUTHMOCK_DEVICE_INTERVAL: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  // The first line is the start record, printed once the server accepts connections.
  const [line] = await once(createInterface({ input: server.stdout }), "line");
  record = JSON.parse(line);
});

after(async () => {
  server.kill("SIGTERM");
  const [code] = await once(server, "exit");
  assert.equal(code, 0, "SIGTERM stops authmock serve with exit status 0");
});

beforeEach(async () => {
  assert.equal((await control("POST", "/reset")).status, 204);
  const ada = { username: "ada", password: "analytical", profile: { name: "Ada Lovelace" } };
  assert.equal((await control("POST", "/users", ada)).status, 201);
});

test("a device login that the test approves", async () => {
  const run = login();
  const code = (await run.firstLine).match(/enter the code (\S+)$/)[1];
  const pending = await control("GET", "/device");
  assert.deepEqual(
    pending.body.pending.map((p) => [p.user_code, p.client_id]),
    [[code, "demo-cli"]],
  );
  const decided = await control("POST", `/device/${code}`, { decision: "approve", username: "ada" });
  assert.deepEqual(decided.body, { user_code: code, status: "approved" });
  const { code: status, stdout } = await run.done;
  assert.equal(status, 0);
  assert.match(stdout, /Logged in as Ada Lovelace \(ada\)\n$/);
  const journal = await control("GET", "/journal?endpoint=token&status=200");
  assert.equal(journal.body.entries.length, 1);
  assert.equal(journal.body.entries[0].username, "ada");
});

test("a device login that the test denies", async () => {
  const run = login();
  const code = (await run.firstLine).match(/enter the code (\S+)$/)[1];
  await control("POST", `/device/${code}`, { decision: "deny" });
  const { code: status, stderr } = await run.done;
  assert.equal(status, 3);
  assert.equal(stderr, "The sign-in was denied.\n");
});

test("an expired code", async () => {
  const run = login();
  await run.firstLine;
  await control("POST", "/clock", { advance: 301 }); // the provider's time, not the test's
  const { code: status, stderr } = await run.done;
  assert.equal(status, 3);
  assert.equal(stderr, "The code expired; run the command again.\n");
  const expired = await control("GET", "/journal?error=expired_token");
  assert.equal(expired.body.entries.length, 1);
});

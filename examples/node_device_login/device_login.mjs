#!/usr/bin/env node
// A command-line device login (RFC 8628) in plain Node 20: no dependency.
//
//   node device_login.mjs ISSUER [CLIENT_ID]
//
// It finds the endpoints in the issuer's metadata (RFC 8414), prints where to
// go and the code to type, polls the token endpoint at the interval the server
// asks for, and greets the user from the userinfo endpoint. Exit status: 0
// signed in, 3 denied or expired, 1 anything else.

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const [issuer, clientId = "demo-cli"] = process.argv.slice(2);

if (!issuer) {
  console.error("usage: node device_login.mjs ISSUER [CLIENT_ID]");
  process.exit(1);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function post(url, params) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  return { status: response.status, body: await response.json() };
}

function fail(message, status = 1) {
  console.error(message);
  process.exit(status);
}

const metadata = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
const started = await post(metadata.device_authorization_endpoint, {
  client_id: clientId,
  scope: "openid profile",
});
if (started.status !== 200) {
  fail(`device authorization failed: ${started.body.error}: ${started.body.error_description}`);
}
const { device_code, user_code, verification_uri, expires_in } = started.body;
// RFC 8628 §3.2: without an interval the client waits 5 seconds between polls.
let interval = started.body.interval ?? 5;
console.log(`Open ${verification_uri} and enter the code ${user_code}`);

const deadline = Date.now() + expires_in * 1000;
while (Date.now() < deadline) {
  await sleep(Math.max(interval * 1000, 50));
  const answer = await post(metadata.token_endpoint, {
    grant_type: DEVICE_GRANT,
    device_code,
    client_id: clientId,
  });
  if (answer.status === 200) {
    const userinfo = await fetch(metadata.userinfo_endpoint, {
      headers: { authorization: `Bearer ${answer.body.access_token}` },
    });
    const me = await userinfo.json();
    console.log(`Logged in as ${me.name} (${me.preferred_username})`);
    process.exit(0);
  }
  switch (answer.body.error) {
    case "authorization_pending":
      continue;
    case "slow_down": // RFC 8628 §3.5: five seconds more, from now on
      interval += 5;
      continue;
    case "access_denied":
      fail("The sign-in was denied.", 3);
      break;
    case "expired_token":
      fail("The code expired; run the command again.", 3);
      break;
    default:
      fail(`unexpected answer: ${answer.body.error}: ${answer.body.error_description}`);
  }
}
fail("The code expired; run the command again.", 3);

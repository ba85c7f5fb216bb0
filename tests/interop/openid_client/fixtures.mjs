// The suite's setup: the clients it registers through the control API, the
// user, and the sign-in through a pushed authorization request.

import assert from "node:assert/strict";
import { Browser } from "./browser.mjs";
import { client, control, issuer } from "./shared.mjs";

export const REDIRECT_URI = "http://127.0.0.1/openid-client/callback";
export const POST_LOGOUT_URI = "http://127.0.0.1/openid-client/signed-out";
export const ORDERS = "https://orders.example/";
export const USER = { username: "alice", password: "alice-password" };

// Confidential clients, registered through the control API as a test suite would.
async function register(table) {
  return control("POST", "/clients", table);
}

export async function basicClient() {
  return client.discovery(issuer, "oc-basic", undefined, client.ClientSecretBasic("oc-basic-secret"));
}

export async function pkjwtClient() {
  const auth = client.PrivateKeyJwt({ key: pkjwtKeys.privateKey, kid: "oc-pkjwt-1" });
  return client.discovery(issuer, "oc-pkjwt", undefined, auth);
}

export async function ecKeyPair() {
  return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
}

async function publicJwks(publicKey, kid) {
  const jwk = await crypto.subtle.exportKey("jwk", publicKey);
  return { keys: [{ ...jwk, kid, alg: "ES256", use: "sig" }] };
}

export let pkjwtKeys;
export let aliceSub;

/** Register the clients and read the user's subject, once before the cases. */
export async function setUp() {
  // openid-client wants a positive interval (RFC 8628 section 3.2 allows 0); one second.
  await control("PATCH", "/settings", { device_interval: 1 });
  const { users } = await control("GET", "/users");
  aliceSub = users.find((user) => user.username === USER.username).sub;
  await register({ client_id: "oc-basic", client_secret: "oc-basic-secret" });
  await register({
    client_id: "oc-csjwt",
    client_secret: "oc-csjwt-secret-long-enough-for-hs256-0123456789",
    token_endpoint_auth_method: "client_secret_jwt",
  });
  pkjwtKeys = await ecKeyPair();
  await register({
    client_id: "oc-pkjwt",
    token_endpoint_auth_method: "private_key_jwt",
    jwks: await publicJwks(pkjwtKeys.publicKey, "oc-pkjwt-1"),
  });
  await register({
    client_id: "oc-dpop",
    client_secret: "oc-dpop-secret",
    dpop_bound_access_tokens: true,
  });
  await register({ client_id: "oc-cli", public: true, redirect_uris: [REDIRECT_URI] });
  await register({
    client_id: "oc-web",
    client_secret: "oc-web-secret",
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_URI],
  });
}

export async function webClient() {
  const config = await client.discovery(issuer, "oc-web", undefined, client.ClientSecretBasic("oc-web-secret"));
  // Check ID token signatures with the published keys too (OIDC Core section 3.1.3.7).
  client.enableNonRepudiationChecks(config);
  return config;
}

// --8<-- [start:par]
/** Authorization code + PKCE through a pushed request (RFC 9126); the user signs in. */
export async function signIn(config, browser = new Browser(), options = undefined) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: REDIRECT_URI,
    scope: "openid profile email offline_access",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    nonce,
    state,
  }, options);
  const page = await browser.get(url);
  assert.equal(page.status, 200, `the authorization page: ${page.status}`);
  const answer = await browser.submit(page, url, { ...USER, action: "approve" });
  assert.equal(answer.status, 303, `signing in: ${answer.status} ${await answer.text()}`);
  const callback = new URL(answer.headers.get("location"));
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedNonce: nonce,
    expectedState: state,
    idTokenExpected: true,
  }, undefined, options);
  return { tokens, url, callback, browser };
}
// --8<-- [end:par]

// panva openid-client (a certified relying party library we did not write)
// against `authmock serve --tls`: every case is one thing a real application
// does with it. Run by tests/interop/test_openid_client.py, which starts the
// server with authmock.toml and passes its URLs (see shared.mjs).

import { before, test } from "node:test";
import assert from "node:assert/strict";
import { Browser } from "./browser.mjs";
import {
  ORDERS,
  POST_LOGOUT_URI,
  REDIRECT_URI,
  aliceSub,
  basicClient,
  ecKeyPair,
  pkjwtClient,
  pkjwtKeys,
  setUp,
  signIn,
  webClient,
} from "./fixtures.mjs";
import { audiences, claimsOf, client, control, issuer, jose, oauth, thumbprint } from "./shared.mjs";

before(setUp);

test("discovery, then client_credentials with client_secret_basic", async () => {
  const config = await basicClient();
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, issuer.href.replace(/\/$/, ""));
  assert.ok(metadata.token_endpoint.startsWith("https://"));
  const tokens = await client.clientCredentialsGrant(config, { scope: "read" });
  assert.equal(tokens.token_type, "bearer");
  assert.ok(tokens.expires_in > 0);
  const claims = claimsOf(tokens.access_token);
  assert.equal(claims.client_id, "oc-basic");
  assert.equal(claims.iss, metadata.issuer);
  assert.equal(claims.scope, "read");
});

test("client_credentials with private_key_jwt (RFC 7523 section 2.2)", async () => {
  const config = await pkjwtClient();
  const tokens = await client.clientCredentialsGrant(config);
  assert.equal(claimsOf(tokens.access_token).client_id, "oc-pkjwt");

  // A key the client never registered is refused: the signature is checked.
  const stranger = await ecKeyPair();
  const forged = await client.discovery(
    issuer,
    "oc-pkjwt",
    undefined,
    client.PrivateKeyJwt({ key: stranger.privateKey, kid: "oc-pkjwt-1" }),
  );
  await assert.rejects(client.clientCredentialsGrant(forged), (error) => {
    assert.equal(error.error, "invalid_client");
    assert.equal(error.status, 401);
    return true;
  });
});

test("client_credentials with client_secret_jwt", async () => {
  const secret = "oc-csjwt-secret-long-enough-for-hs256-0123456789";
  const config = await client.discovery(issuer, "oc-csjwt", undefined, client.ClientSecretJwt(secret));
  const tokens = await client.clientCredentialsGrant(config);
  assert.equal(claimsOf(tokens.access_token).client_id, "oc-csjwt");

  const wrong = await client.discovery(
    issuer,
    "oc-csjwt",
    undefined,
    client.ClientSecretJwt("not-the-secret-but-as-long-as-it-0123456789"),
  );
  await assert.rejects(client.clientCredentialsGrant(wrong), { error: "invalid_client" });
});

// --8<-- [start:dpop]
test("DPoP-bound client_credentials token, then a protected resource (RFC 9449)", async () => {
  const config = await client.discovery(
    issuer,
    "oc-dpop",
    undefined,
    client.ClientSecretBasic("oc-dpop-secret"),
  );
  const keyPair = await client.randomDPoPKeyPair("ES256");
  const DPoP = client.getDPoPHandle(config, keyPair);
  const tokens = await client.clientCredentialsGrant(config, {}, { DPoP });
  assert.equal(tokens.token_type, "dpop");
  assert.equal(claimsOf(tokens.access_token).cnf.jkt, await thumbprint(keyPair.publicKey));

  const api = new URL("/api/me", issuer);
  const response = await client.fetchProtectedResource(config, tokens.access_token, api, "GET", null, undefined, { DPoP });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal((await response.json()).client_id, "oc-dpop");

  // The same token as a plain bearer token is refused: it is bound to the key.
  const stolen = await fetch(api, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal(stolen.status, 401);

  // The client must use DPoP (dpop_bound_access_tokens, RFC 9449 section 5.2).
  await assert.rejects(client.clientCredentialsGrant(config), { status: 400, error: "invalid_dpop_proof" });
});
// --8<-- [end:dpop]

test("token exchange (RFC 8693) through genericGrantRequest", async () => {
  const config = await basicClient();
  const subject = await client.clientCredentialsGrant(config, { scope: "read write" });
  const exchanged = await client.genericGrantRequest(
    config,
    "urn:ietf:params:oauth:grant-type:token-exchange",
    {
      subject_token: subject.access_token,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      audience: ORDERS,
      scope: "read",
    },
  );
  assert.equal(exchanged.issued_token_type, "urn:ietf:params:oauth:token-type:access_token");
  assert.equal(exchanged.token_type, "bearer");
  const claims = claimsOf(exchanged.access_token);
  assert.deepEqual(audiences(claims), [ORDERS]);
  assert.equal(claims.scope, "read");
  assert.equal(claims.sub, claimsOf(subject.access_token).sub);
});

test("JWT bearer grant (RFC 7523 section 2.1) with a self-signed assertion", async () => {
  const config = await pkjwtClient();
  const assertion = await new jose.SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid: "oc-pkjwt-1" })
    .setIssuer("oc-pkjwt")
    .setSubject("alice")
    .setAudience(config.serverMetadata().issuer)
    .setIssuedAt()
    .setExpirationTime("2m")
    .setJti(crypto.randomUUID())
    .sign(pkjwtKeys.privateKey);
  const tokens = await client.genericGrantRequest(
    config,
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    { assertion, scope: "read" },
  );
  const claims = claimsOf(tokens.access_token);
  assert.equal(claims.client_id, "oc-pkjwt");
  assert.equal(claims.sub, aliceSub);
  assert.equal(tokens.refresh_token, undefined);
});

test("dynamic client registration (RFC 7591), then the registered client", async () => {
  const config = await client.dynamicClientRegistration(
    issuer,
    {
      client_name: "openid-client interop",
      redirect_uris: [REDIRECT_URI],
      grant_types: ["client_credentials", "authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
    // The secret comes from the registration response.
    client.ClientSecretBasic(),
  );
  const registered = config.clientMetadata();
  assert.ok(registered.client_id);
  assert.ok(registered.client_secret);
  assert.ok(registered.registration_access_token);
  const tokens = await client.clientCredentialsGrant(config);
  assert.equal(claimsOf(tokens.access_token).client_id, registered.client_id);
});

test("pushed authorization request, sign-in, code + PKCE, ID token validated", async () => {
  const config = await webClient();
  assert.ok(config.serverMetadata().pushed_authorization_request_endpoint);
  const { tokens, url, callback } = await signIn(config);
  // The authorization URL carries only the request_uri and the client_id (RFC 9126 section 4).
  assert.deepEqual([...url.searchParams.keys()].sort(), ["client_id", "request_uri"]);
  assert.ok(url.searchParams.get("request_uri").startsWith("urn:ietf:params:oauth:request_uri:"));
  assert.equal(callback.origin + callback.pathname, REDIRECT_URI);
  const idToken = tokens.claims();
  assert.equal(idToken.iss, config.serverMetadata().issuer);
  assert.deepEqual(audiences(idToken), ["oc-web"]);
  assert.equal(idToken.sub, aliceSub);
  assert.equal(claimsOf(tokens.access_token).sub, aliceSub);
  assert.ok(tokens.refresh_token);
  // The signature was checked against the published keys, fetched from jwks_uri.
  const { entries } = await control("GET", "/journal?endpoint=jwks&status=200");
  assert.ok(entries.length > 0, "openid-client never fetched the JWKS");
});

test("public client: DPoP through PAR, code, bound refresh and userinfo", async () => {
  const config = await client.discovery(issuer, "oc-cli", undefined, client.None());
  client.enableNonRepudiationChecks(config);
  const keyPair = await client.randomDPoPKeyPair("ES256");
  const DPoP = client.getDPoPHandle(config, keyPair);
  const { tokens } = await signIn(config, new Browser(), { DPoP });
  const jkt = await thumbprint(keyPair.publicKey);
  assert.equal(tokens.token_type, "dpop");
  assert.equal(claimsOf(tokens.access_token).cnf.jkt, jkt);

  const userinfo = await client.fetchUserInfo(config, tokens.access_token, aliceSub, { DPoP });
  assert.equal(userinfo.sub, aliceSub);

  // A public client's refresh token is bound to the key (RFC 9449 section 5).
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), { status: 400 });
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token, {}, { DPoP });
  assert.equal(claimsOf(refreshed.access_token).cnf.jkt, jkt);
});

test("refresh token grant", async () => {
  const config = await webClient();
  const { tokens } = await signIn(config);
  const sub = tokens.claims().sub;
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.equal(claimsOf(refreshed.access_token).sub, sub);
  if (refreshed.id_token) assert.equal(refreshed.claims().sub, sub);
});

test("userinfo, introspection and revocation", async () => {
  const config = await webClient();
  const { tokens } = await signIn(config);
  const sub = tokens.claims().sub;

  const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub);
  assert.equal(userinfo.sub, sub);
  assert.equal(userinfo.email, "alice@example.com");
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, "someone-else"));

  const active = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(active.active, true);
  assert.equal(active.sub, sub);
  assert.equal(active.client_id, "oc-web");

  await client.tokenRevocation(config, tokens.refresh_token);
  assert.equal((await client.tokenIntrospection(config, tokens.refresh_token)).active, false);
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), { error: "invalid_grant" });
});

test("RP-initiated logout through buildEndSessionUrl ends the session", async () => {
  const config = await webClient();
  const { tokens, browser } = await signIn(config);

  // The browser has a session: a silent request gets a code.
  const silent = () =>
    client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      prompt: "none",
      state: "silent",
    });
  const before = new URL((await browser.get(silent())).headers.get("location"));
  assert.ok(before.searchParams.get("code"), `silent sign-in before logout: ${before}`);

  const logout = client.buildEndSessionUrl(config, {
    id_token_hint: tokens.id_token,
    post_logout_redirect_uri: POST_LOGOUT_URI,
    state: "bye",
  });
  const answer = await browser.get(logout);
  assert.equal(answer.status, 302, await answer.text());
  const back = new URL(answer.headers.get("location"));
  assert.equal(back.origin + back.pathname, POST_LOGOUT_URI);
  assert.equal(back.searchParams.get("state"), "bye");

  const after = new URL((await browser.get(silent())).headers.get("location"));
  assert.equal(after.searchParams.get("error"), "login_required");
});

test("device authorization grant (RFC 8628)", async () => {
  const config = await webClient();
  const device = await client.initiateDeviceAuthorization(config, { scope: "openid profile" });
  assert.ok(device.verification_uri.startsWith(config.serverMetadata().issuer));
  // The user approves the code (here through the control API).
  const decision = await control("POST", `/device/${encodeURIComponent(device.user_code)}`, {
    decision: "approve",
    username: "alice",
  });
  assert.equal(decision.status, "approved");
  const tokens = await client.pollDeviceAuthorizationGrant(config, device);
  assert.equal(claimsOf(tokens.access_token).sub, aliceSub);
  assert.equal(tokens.claims().sub, aliceSub);
  assert.deepEqual(audiences(tokens.claims()), ["oc-web"]);

  const denied = await client.initiateDeviceAuthorization(config, { scope: "openid" });
  await control("POST", `/device/${encodeURIComponent(denied.user_code)}`, { decision: "deny" });
  await assert.rejects(client.pollDeviceAuthorizationGrant(config, denied), { error: "access_denied" });
});

test("resource indicators (RFC 8707): the token's audience follows resource", async () => {
  const config = await basicClient();
  const orders = new URL("/api/orders", issuer);
  const tokens = await client.clientCredentialsGrant(config, { resource: ORDERS });
  assert.deepEqual(audiences(claimsOf(tokens.access_token)), [ORDERS]);
  const ok = await client.fetchProtectedResource(config, tokens.access_token, orders, "GET");
  assert.equal(ok.status, 200, await ok.clone().text());

  // A token for the default audience does not open the orders API.
  const other = await client.clientCredentialsGrant(config);
  assert.ok(!audiences(claimsOf(other.access_token)).includes(ORDERS));
  await assert.rejects(client.fetchProtectedResource(config, other.access_token, orders, "GET"), (error) => {
    assert.equal(error.status, 401);
    assert.equal(error.cause[0].parameters.error, "invalid_token");
    return true;
  });

  await assert.rejects(
    client.clientCredentialsGrant(config, { resource: "https://orders.example/#fragment" }),
    { error: "invalid_target" },
  );
});

test("access tokens pass oauth4webapi's resource-server validation (RFC 9068)", async () => {
  const config = await basicClient();
  const server = config.serverMetadata();
  const api = new URL("/api/orders", issuer);
  const forOrders = await client.clientCredentialsGrant(config, { resource: ORDERS });
  const request = new Request(api, { headers: { authorization: `Bearer ${forOrders.access_token}` } });
  const claims = await oauth.validateJwtAccessToken(server, request, ORDERS);
  assert.equal(claims.client_id, "oc-basic");
  await assert.rejects(oauth.validateJwtAccessToken(server, request, "https://billing.example/"));

  const { tokens } = await signIn(await webClient());
  const userRequest = new Request(api, { headers: { authorization: `Bearer ${tokens.access_token}` } });
  assert.equal((await oauth.validateJwtAccessToken(server, userRequest, server.issuer)).sub, aliceSub);

  // A DPoP request as openid-client sends it, checked as a resource server would (RFC 9449 section 7).
  const dpopConfig = await client.discovery(issuer, "oc-dpop", undefined, client.ClientSecretBasic("oc-dpop-secret"));
  const DPoP = client.getDPoPHandle(dpopConfig, await client.randomDPoPKeyPair("ES256"));
  const bound = await client.clientCredentialsGrant(dpopConfig, {}, { DPoP });
  let sent;
  dpopConfig[client.customFetch] = (url, options) => {
    sent = new Request(url, options);
    return fetch(url, options);
  };
  const me = new URL("/api/me", issuer);
  await client.fetchProtectedResource(dpopConfig, bound.access_token, me, "GET", null, undefined, { DPoP });
  const boundClaims = await oauth.validateJwtAccessToken(server, sent, server.issuer, { requireDPoP: true });
  assert.equal(boundClaims.client_id, "oc-dpop");
});

test("protected resource metadata (RFC 9728) through oauth4webapi", async () => {
  const config = await basicClient();
  const api = new URL("/api/me", issuer);
  // The 401 points to the metadata (section 5.1).
  const challenge = await client
    .fetchProtectedResource(config, "not-a-token", api, "GET")
    .then(() => assert.fail("the API took a bogus token"), (error) => error.cause[0].parameters);
  const response = await oauth.resourceDiscoveryRequest(api);
  assert.equal(response.url, challenge.resource_metadata);
  const metadata = await oauth.processResourceDiscoveryResponse(api, response);
  assert.equal(metadata.resource, api.href);
  assert.deepEqual(metadata.authorization_servers, [config.serverMetadata().issuer]);
});

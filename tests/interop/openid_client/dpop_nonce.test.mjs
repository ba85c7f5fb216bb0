// openid-client's DPoP against a fake that demands server nonces (RFC 9449
// sections 8 and 9). Run by tests/interop/test_openid_client.py against the
// idp_server fixture with idp.dpop_settings.require_nonce = True, which then
// reads the journal to see the use_dpop_nonce answers openid-client retried.
//
//   DPOP_CLIENT_ID, DPOP_CLIENT_SECRET, DPOP_API  set by the Python test

import { test } from "node:test";
import assert from "node:assert/strict";
import { claimsOf, client, issuer, thumbprint } from "./shared.mjs";

test("DPoP with server nonces: token endpoint and protected resource", async () => {
  const config = await client.discovery(
    issuer,
    process.env.DPOP_CLIENT_ID,
    undefined,
    client.ClientSecretBasic(process.env.DPOP_CLIENT_SECRET),
  );
  const keyPair = await client.randomDPoPKeyPair("ES256");
  const DPoP = client.getDPoPHandle(config, keyPair);
  const tokens = await client.clientCredentialsGrant(config, {}, { DPoP });
  assert.equal(tokens.token_type, "dpop");
  assert.equal(claimsOf(tokens.access_token).cnf.jkt, await thumbprint(keyPair.publicKey));

  // A new handle for the same key knows no nonce yet, so the API challenges it too (section 9).
  const atApi = client.getDPoPHandle(config, keyPair);
  const api = new URL(process.env.DPOP_API);
  const response = await client.fetchProtectedResource(config, tokens.access_token, api, "GET", null, undefined, {
    DPoP: atApi,
  });
  assert.equal(response.status, 200, await response.clone().text());
  assert.equal((await response.json()).client_id, process.env.DPOP_CLIENT_ID);
});

// What both openid-client suites share: the installed packages, the fake's control
// API, and reading JWTs.
//
//   OPENID_CLIENT_NODE_MODULES  node_modules of the cached openid-client install
//   AUTHMOCK_ISSUER             the fake's issuer (https, its CA in NODE_EXTRA_CA_CERTS)
//   AUTHMOCK_CONTROL, AUTHMOCK_ADMIN_TOKEN  the control API (authmock serve only)

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const modules = process.env.OPENID_CLIENT_NODE_MODULES;
if (!modules) throw new Error("set OPENID_CLIENT_NODE_MODULES to the cached node_modules");

async function load(name) {
  const pkg = JSON.parse(readFileSync(join(modules, name, "package.json"), "utf8"));
  return import(pathToFileURL(join(modules, name, pkg.exports["."].default)).href);
}

export const client = await load("openid-client");
// openid-client's own JOSE library, for the JWT bearer assertion.
export const jose = await load("jose");
// The OAuth library underneath openid-client, for its resource-server side.
export const oauth = await load("oauth4webapi");
export const issuer = new URL(process.env.AUTHMOCK_ISSUER);

export async function control(method, path, body) {
  const response = await fetch(process.env.AUTHMOCK_CONTROL + path, {
    method,
    headers: {
      authorization: `Bearer ${process.env.AUTHMOCK_ADMIN_TOKEN}`,
      "content-type": "application/json",
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `control API ${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The payload of a JWT, without checking it (the provider's job is under test). */
export function claimsOf(jwt) {
  const [, payload] = jwt.split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
}

export function audiences(claims) {
  return Array.isArray(claims.aud) ? claims.aud : [claims.aud];
}

/** RFC 7638 thumbprint of an EC public key. */
export async function thumbprint(publicKey) {
  const { crv, kty, x, y } = await crypto.subtle.exportKey("jwk", publicKey);
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(JSON.stringify({ crv, kty, x, y })),
  );
  return Buffer.from(digest).toString("base64url");
}

// panva oidc-provider on 127.0.0.1, configured for the interop tests.
//
//   OIDC_PROVIDER_DIR=<node_modules/oidc-provider> node server.mjs
//
// Prints {"issuer": ...} on the first stdout line once it accepts connections.
// Besides the provider's own endpoints it serves:
//   /interaction/<uid>...  the sign-in and consent pages (plain HTML forms), which
//                          check the test account's password;
//   GET  /_test/counts     how many requests reached the token endpoint (on the wire,
//                          before the provider parsed them) and how each grant ended;
//   POST /_test/counts/reset
//   POST /_test/token-delay?ms=N  hold every token request N ms before the provider sees
//                          it (a slow provider, so that concurrent callers overlap)
//   POST /_test/dpop-nonce?required=1  demand a DPoP server nonce (RFC 9449 §8) in every
//                          proof from now on (required=0: stop)
// The /_test/ endpoints exist only in this test server.

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const packageDir = process.env.OIDC_PROVIDER_DIR;
if (!packageDir) {
  console.error('set OIDC_PROVIDER_DIR to the installed oidc-provider package');
  process.exit(2);
}
const { main } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
const { default: Provider, errors } = await import(pathToFileURL(join(packageDir, main)).href);

export const API = 'https://api.interop.test';
const REDIRECT = 'http://127.0.0.1/interop/callback';
const NATIVE_REDIRECT = 'http://127.0.0.1/callback';
const SIGNED_OUT = 'http://127.0.0.1/interop/signed-out';
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const ALL = ['client_credentials', 'authorization_code', 'refresh_token', DEVICE];

const ACCOUNTS = {
  alice: { password: 'alice-password', name: 'Alice Liddell', email: 'alice@interop.test' },
};

function client(id, method, grants, extra = {}) {
  const entry = {
    client_id: id,
    grant_types: grants,
    response_types: grants.includes('authorization_code') ? ['code'] : [],
    redirect_uris: grants.includes('authorization_code') ? [REDIRECT] : [],
    token_endpoint_auth_method: method,
    scope: 'openid profile email offline_access api:read',
    ...extra,
  };
  if (method !== 'none') entry.client_secret = `${id}-secret`;
  return entry;
}

const clients = [
  client('interop-basic', 'client_secret_basic', ALL, { post_logout_redirect_uris: [SIGNED_OUT] }),
  client('interop-post', 'client_secret_post', ALL),
  // A CLI: a public native client on a loopback redirect (any port, RFC 8252 §7.3)
  // that may send the browser back after logout (RP-Initiated Logout).
  client('interop-native', 'none', ['authorization_code', 'refresh_token'], {
    application_type: 'native',
    redirect_uris: [NATIVE_REDIRECT],
    post_logout_redirect_uris: [SIGNED_OUT],
  }),
  // The case of a client allowed only some grants: the contract suite must not fail it.
  client('interop-device-only', 'client_secret_basic', ['client_credentials', DEVICE]),
  // Device codes of this client expire after 2 s (ttl.DeviceCode below).
  client('interop-device-short', 'client_secret_basic', [DEVICE]),
  // Tokens of this client live 60 s (ttl.ClientCredentials below).
  client('interop-short-lived', 'client_secret_basic', ['client_credentials']),
  // JWT client authentication (RFC 7523 §2.2): an HMAC of the secret, or a key whose
  // public half the test passes in INTEROP_PKJWT_JWKS.
  client('interop-csjwt', 'client_secret_jwt', ALL),
  ...(process.env.INTEROP_PKJWT_JWKS
    ? [client('interop-pkjwt', 'private_key_jwt', ALL, { jwks: JSON.parse(process.env.INTEROP_PKJWT_JWKS) })]
    : []),
];

const counts = { wire: {}, success: {}, error: {} };
let tokenDelay = 0;
let dpopNonceRequired = false;
const bump = (table, key) => { table[key] = (table[key] || 0) + 1; };

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients,
  cookies: { keys: ['interop-cookie-key-not-secret'] },
  findAccount(ctx, id) {
    if (!(id in ACCOUNTS)) return undefined;
    const account = ACCOUNTS[id];
    return {
      accountId: id,
      claims: () => ({
        sub: id, name: account.name, email: account.email, email_verified: true,
      }),
    };
  },
  claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    deviceFlow: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    // RFC 7591 / RFC 7592, open as test providers are; RFC 9126; RP-Initiated Logout.
    registration: { enabled: true },
    registrationManagement: { enabled: true },
    pushedAuthorizationRequests: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource },
    // RFC 9449 §8: server nonces, demanded while a test asks for them.
    dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => dpopNonceRequired },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resource) {
        if (resource !== API) throw new errors.InvalidTarget();
        // RFC 8707 + RFC 9068: tokens for this API are JWTs with aud = the API.
        return {
          scope: 'api:read',
          audience: API,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 600,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 600,
    ClientCredentials: (ctx, token, c) => (c.clientId === 'interop-short-lived' ? 60 : 600),
    DeviceCode: (ctx, token, c) => (c.clientId === 'interop-device-short' ? 2 : 600),
    Grant: 3600,
    IdToken: 600,
    Interaction: 600,
    RefreshToken: 3600,
    Session: 3600,
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

provider.on('grant.success', (ctx) => bump(counts.success, ctx.oidc.params.grant_type));
provider.on('grant.error', (ctx) => bump(counts.error, ctx.oidc.params?.grant_type ?? '?'));
// Errors the provider answers are expected here; keep the test output quiet.
provider.on('server_error', (ctx, err) => console.error('server_error', err));

// The logout confirmation, with its buttons inside the form (the default page puts them
// outside, with form="..." attributes, which the tests' page driver does not follow).
async function logoutSource(ctx, form) {
  const buttons = '<button type="submit" name="logout" value="yes">Yes, sign me out</button>'
    + '<button type="submit">No, stay signed in</button></form>';
  ctx.type = 'html';
  ctx.body = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign out</title></head>'
    + `<body><h1>Do you want to sign out?</h1>${form.replace('</form>', buttons)}</body></html>`;
}

// -- the sign-in and consent pages ------------------------------------------------------------

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, status, title, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1>${body}</body></html>`);
}

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

function loginPage(res, uid, clientId, error = '') {
  const alert = error ? `<p role="alert">${escape(error)}</p>` : '';
  page(res, 200, 'Sign in', `${alert}<p>${escape(clientId)} asks you to sign in.</p>`
    + `<form method="post" action="/interaction/${uid}/login">`
    + '<label>Username <input name="username" autocomplete="username"></label>'
    + '<label>Password <input name="password" type="password" autocomplete="current-password"></label>'
    + '<button type="submit">Sign in</button></form>'
    + `<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form>`);
}

function consentPage(res, uid, clientId, scope) {
  page(res, 200, 'Allow access', `<p>${escape(clientId)} asks for: ${escape(scope)}</p>`
    + `<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>`
    + `<form method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`);
}

async function consent(interaction) {
  const { prompt: { details }, params, session: { accountId } } = interaction;
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  return interaction.grantId ? {} : { grantId };
}

async function interaction(req, res, action) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (req.method === 'GET') {
    if (prompt.name === 'login') return loginPage(res, uid, params.client_id);
    return consentPage(res, uid, params.client_id, params.scope || '');
  }
  if (req.method !== 'POST') return page(res, 405, 'Method not allowed', '');
  const form = await readForm(req);
  if (action === 'login') {
    const account = ACCOUNTS[form.get('username')];
    if (!account || account.password !== form.get('password')) {
      return loginPage(res, uid, params.client_id, 'Wrong username or password.');
    }
    return provider.interactionFinished(req, res, {
      login: { accountId: form.get('username') },
    }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm') {
    return provider.interactionFinished(req, res, { consent: await consent(details) }, {
      mergeWithLastSubmission: true,
    });
  }
  if (action === 'abort') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'the user denied the request',
    }, { mergeWithLastSubmission: false });
  }
  return page(res, 404, 'Not found', '');
}

// -- the test-only endpoints -------------------------------------------------------------------

function testEndpoint(req, res, path) {
  if (path === '/_test/counts' && req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return res.end(JSON.stringify(counts));
  }
  if (path === '/_test/counts/reset' && req.method === 'POST') {
    for (const table of Object.values(counts)) for (const key of Object.keys(table)) delete table[key];
    res.writeHead(204);
    return res.end();
  }
  if (path === '/_test/dpop-nonce' && req.method === 'POST') {
    dpopNonceRequired = new URL(req.url, issuer).searchParams.get('required') === '1';
    res.writeHead(204);
    return res.end();
  }
  if (path === '/_test/token-delay' && req.method === 'POST') {
    tokenDelay = Number(new URL(req.url, issuer).searchParams.get('ms')) || 0;
    res.writeHead(204);
    return res.end();
  }
  res.writeHead(404);
  return res.end();
}

const handle = provider.callback();
server.on('request', async (req, res) => {
  const path = new URL(req.url, issuer).pathname;
  try {
    if (path.startsWith('/_test/')) return testEndpoint(req, res, path);
    const match = path.match(/^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/);
    if (match) return await interaction(req, res, match[2]);
    if (path === '/token' && req.method === 'POST') {
      bump(counts.wire, 'token');
      if (tokenDelay) await new Promise((resolve) => setTimeout(resolve, tokenDelay));
    }
    return handle(req, res);
  } catch (err) {
    // An expired or unknown interaction: a page, not a crash.
    if (!res.headersSent) return page(res, 400, 'Request failed', `<p>${escape(err.message)}</p>`);
    return res.end();
  }
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.stdout.write(`${JSON.stringify({ issuer })}\n`);

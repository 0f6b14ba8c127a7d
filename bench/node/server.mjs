// The node oidc-provider that bench/compare.py measures the provider against.
//
// One process of oidc-provider (pinned in package-lock.json), in memory (its own adapter),
// with one confidential client (client_secret_basic, RS256 ID tokens, authorization_code and
// refresh_token grants), one account, an RS256 and an ES256 signing key made at start, and the
// endpoints the comparison times: discovery, JWKS, token (code with PKCE, refresh), userinfo
// and introspection.
//
// Codes are minted inside the process, the way oidc-provider's own authorization endpoint
// makes them after a login and consent (a Grant with the scopes, then an AuthorizationCode
// bound to it, with the PKCE challenge, nonce and redirect URI), and handed to the benchmark
// by a side endpoint on its own port, so that the token endpoint is timed alone:
//
//   POST http://127.0.0.1:<SIDE_PORT>/codes?count=N  ->  [{"code": "...", "verifier": "..."}]
//
// Environment: PORT (the provider), SIDE_PORT (the side endpoint), CLIENT_ID, CLIENT_SECRET,
// REDIRECT_URI. Prints one JSON line {"ready": true, ...} once both ports listen.

import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';
// The package's own in-memory adapter and its store, which it caps at 1,000 entries: a run
// keeps a few thousand codes, grants and tokens, so it gets the same store with more room.
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const port = Number(process.env.PORT);
const sidePort = Number(process.env.SIDE_PORT);
const clientId = process.env.CLIENT_ID || 'bench';
const clientSecret = process.env.CLIENT_SECRET || randomBytes(32).toString('base64url');
const redirectUri = process.env.REDIRECT_URI || 'http://127.0.0.1:9/callback';
const issuer = `http://127.0.0.1:${port}`;
const scope = 'openid offline_access profile email';
const accountId = 'bench-user-0001';

function signingKey(type, options, alg) {
  const { privateKey } = generateKeyPairSync(type, options);
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(6).toString('hex')}` };
}

const account = {
  accountId,
  async claims() {
    return {
      sub: accountId,
      name: 'Bench User 1',
      preferred_username: 'bench000001',
      email: 'bench000001@example.org',
      email_verified: true,
    };
  },
};

const store = new LRU({ maxSize: 1_000_000 });

const provider = new Provider(issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: {
    keys: [
      signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
      signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
    ],
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  findAccount: async (_ctx, id) => (id === accountId ? account : undefined),
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  pkce: { required: () => true },
  // Like ours: every exchange gives a refresh token, and every refresh rotates it.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  // Codes are minted before the exchanges are timed: keep them valid meanwhile (ours: 900 s).
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 900,
    Grant: 90 * 24 * 3600,
    IdToken: 3600,
    RefreshToken: 30 * 24 * 3600,
    Session: 24 * 3600,
    Interaction: 3600,
  },
});

function s256(verifier) {
  return createHash('sha256').update(verifier).digest('base64url');
}

async function mintCode(client) {
  const grant = new provider.Grant({ accountId, clientId });
  grant.addOIDCScope(scope);
  const grantId = await grant.save();
  const verifier = randomBytes(48).toString('base64url');
  const code = new provider.AuthorizationCode({
    accountId,
    acr: 'urn:bench:password+totp',
    amr: ['pwd', 'otp'],
    authTime: Math.floor(Date.now() / 1000),
    client,
    codeChallenge: s256(verifier),
    codeChallengeMethod: 'S256',
    grantId,
    nonce: randomBytes(12).toString('base64url'),
    redirectUri,
    scope,
  });
  return { code: await code.save(), verifier };
}

const side = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://side');
  if (req.method !== 'POST' || url.pathname !== '/codes') {
    res.writeHead(404).end();
    return;
  }
  try {
    const count = Math.min(Math.max(Number(url.searchParams.get('count')) || 1, 1), 100000);
    const client = await provider.Client.find(clientId);
    const codes = [];
    for (let i = 0; i < count; i += 1) {
      codes.push(await mintCode(client));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(codes));
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err?.stack || err));
  }
});

const main = http.createServer(provider.callback());
await new Promise((resolve) => { main.listen(port, '127.0.0.1', resolve); });
await new Promise((resolve) => { side.listen(sidePort, '127.0.0.1', resolve); });
process.stdout.write(`${JSON.stringify({
  ready: true, issuer, pid: process.pid, node: process.version,
})}\n`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    main.close();
    side.close();
    process.exit(0);
  });
}

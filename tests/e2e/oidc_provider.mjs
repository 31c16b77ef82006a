// A real OAuth 2.1 / OpenID Connect authorization server for the e2e tests:
// oidc-provider (the certified Node.js implementation) on loopback.
//
//   node oidc_provider.mjs        (harness.OidcProvider starts it; it prints
//                                  "READY <issuer>" once listening)
//
// It must sit next to a node_modules holding oidc-provider (the harness
// links target/e2e/node/node_modules there). Environment:
//   PORT              listen port on 127.0.0.1 (0: any free port, printed in READY)
//   KEYS_FILE         private JWKS (RS256, ES256, EdDSA keys): loaded if it exists,
//                     else generated and written there, so the tests can sign
//                     tokens with the provider's own keys
//   RESOURCE_PATTERN  regular expression of the resource indicators (RFC 8707) it
//                     issues JWT access tokens for (default: any loopback /mcp URL)
//   SCOPES            the resource servers' scopes
//   TEST_SUB          the subject of the headless login (default "test-user")
//   TOKEN_TTL         access token lifetime in seconds (default 600)
// SIGTERM/SIGINT stop it. Nothing here is mocked: tokens come from
// oidc-provider's own endpoints (/token, /auth, /reg, /jwks, /token/introspection).
//
// Test-only additions, both Koa middleware in front of the provider:
//   * headless interactions: /auto/<uid> logs TEST_SUB in and consents to exactly
//     the scopes asked for, so following the authorization URL's redirects ends
//     at redirect_uri?code=...&state=...&iss=...
//   * a JWKS fault switch: GET /__test/jwks/<up|down|garbage|empty> makes /jwks
//     answer normally, 503, non-JSON, or an empty key set.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { generateKeyPair, exportJWK } from 'jose';
import Provider, { errors } from 'oidc-provider';

const PORT = Number(process.env.PORT ?? 0);
const KEYS_FILE = process.env.KEYS_FILE ?? 'keys.json';
const RESOURCE_PATTERN = new RegExp(process.env.RESOURCE_PATTERN ?? '^http://127\\.0\\.0\\.1:[0-9]+/mcp$');
const SCOPES = process.env.SCOPES ?? 'twilio:read twilio:write twilio:services:Messaging twilio:services:Voice';
const TEST_SUB = process.env.TEST_SUB ?? 'test-user';
const TOKEN_TTL = Number(process.env.TOKEN_TTL ?? 600);

async function loadOrCreateKeys() {
  if (existsSync(KEYS_FILE)) return JSON.parse(readFileSync(KEYS_FILE, 'utf8'));
  const keys = [];
  for (const [alg, opts, kid] of [
    ['RS256', { modulusLength: 2048 }, 'rs256-1'],
    ['ES256', {}, 'es256-1'],
    ['EdDSA', { crv: 'Ed25519' }, 'eddsa-1'],
  ]) {
    const { privateKey } = await generateKeyPair(alg, { ...opts, extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), kid, alg, use: 'sig' });
  }
  const jwks = { keys };
  writeFileSync(KEYS_FILE, JSON.stringify(jwks, null, 2), { mode: 0o600 });
  return jwks;
}

// Which JWS alg a client's access tokens use, and whether they are opaque:
// custom client properties.
const ALG_PROP = 'access_token_alg';
const FORMAT_PROP = 'access_token_format';
const machine = (client_id, extra = {}) => ({
  client_id,
  client_secret: `${client_id}-secret`,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
  ...extra,
});

const clients = [
  // machine to machine (client_credentials), one per signing algorithm
  machine('mcp-cc', { [ALG_PROP]: 'RS256' }),
  machine('mcp-cc-es256', { [ALG_PROP]: 'ES256' }),
  machine('mcp-cc-eddsa', { [ALG_PROP]: 'EdDSA' }),
  // limited to twilio:read: asking for more is invalid_scope
  machine('mcp-cc-read', { scope: 'twilio:read' }),
  // opaque access tokens, readable only by introspection (RFC 7662)
  machine('mcp-cc-opaque', { [FORMAT_PROP]: 'opaque' }),
  // the resource server's own credentials, for the introspection endpoint
  { ...machine('mcp-resource-server'), grant_types: [] },
  // pre-registered public native client: authorization code + PKCE, any loopback port
  {
    client_id: 'mcp-native',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
  },
];

const configuration = {
  clients,
  jwks: await loadOrCreateKeys(),
  // The resource server's scopes are listed here too: oidc-provider checks a
  // client's registered `scope` against this list (the MCP SDK's dynamic
  // registration sends one), and discovery shows it as scopes_supported.
  scopes: ['openid', 'offline_access', ...SCOPES.split(' ')],
  cookies: { keys: ['e2e-cookie-key-not-a-secret'] },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  extraClientMetadata: { properties: [ALG_PROP, FORMAT_PROP] },
  pkce: { required: () => true }, // OAuth 2.1: PKCE always (S256 only, the default)
  ttl: {
    AccessToken: TOKEN_TTL, ClientCredentials: TOKEN_TTL,
    AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600,
  },
  interactions: { url: async (ctx, interaction) => `/auto/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    registration: { enabled: true, initialAccessToken: false }, // open DCR (RFC 7591)
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx, client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator, client) => {
        if (!RESOURCE_PATTERN.test(resourceIndicator)) throw new errors.InvalidTarget();
        return {
          scope: SCOPES,
          audience: resourceIndicator,
          accessTokenTTL: TOKEN_TTL,
          // RFC 9068 JWTs (typ at+jwt), or opaque for the introspection client
          accessTokenFormat: client?.[FORMAT_PROP] === 'opaque' ? 'opaque' : 'jwt',
          jwt: { sign: { alg: client?.[ALG_PROP] ?? 'RS256' } },
        };
      },
    },
  },
};

const server = createServer();
await new Promise((resolve) => server.listen(PORT, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const provider = new Provider(issuer, configuration);

let jwksMode = 'up';
provider.use(async (ctx, next) => {
  const fault = ctx.path.match(/^\/__test\/jwks\/(up|down|garbage|empty)$/);
  if (fault) {
    jwksMode = fault[1];
    ctx.body = `jwks ${jwksMode}`;
    return;
  }
  if (ctx.path === '/jwks' && jwksMode !== 'up') {
    if (jwksMode === 'down') { ctx.status = 503; ctx.body = 'unavailable'; return; }
    if (jwksMode === 'garbage') { ctx.type = 'application/json'; ctx.body = '<html>oops'; return; }
    ctx.body = { keys: [] };
    return;
  }
  const auto = ctx.path.match(/^\/auto\/([^/]+)$/);
  if (auto && ctx.method === 'GET') {
    const { prompt, params, session, grantId } = await provider.interactionDetails(ctx.req, ctx.res);
    if (prompt.name === 'login') {
      await provider.interactionFinished(ctx.req, ctx.res,
        { login: { accountId: params.login_hint || TEST_SUB } }, { mergeWithLastSubmission: false });
    } else if (prompt.name === 'consent') {
      const grant = grantId ? await provider.Grant.find(grantId)
        : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      const details = prompt.details;
      if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
      if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      await provider.interactionFinished(ctx.req, ctx.res,
        { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    } else {
      ctx.throw(501, `prompt ${prompt.name} not handled`);
    }
    ctx.respond = false;
    return;
  }
  await next();
});

server.on('request', provider.callback());
const stop = () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 2000).unref(); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
console.log(`READY ${issuer}`);

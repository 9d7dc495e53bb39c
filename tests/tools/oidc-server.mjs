// A real OpenID Connect provider (oidc-provider) for the OAuth tests, on loopback.
//
// It issues client-credentials JWT access tokens bound to the resource the client names
// (RFC 8707 resource indicators): `aud` is that resource, `scope` what the client asked for
// within what it may have. Configuration is one JSON document in OIDC_CONFIG:
//   {"port": 9000, "scopes": ["a:read", ...],
//    "clients": [{"client_id": "...", "client_secret": "...", "scope": "a:read b:read", "ttl": 300}]}
// It prints "oidc-provider ready <issuer>" once it accepts connections.
import { createServer } from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.OIDC_CONFIG);
const issuer = `http://127.0.0.1:${config.port}`;
const ttls = Object.fromEntries(config.clients.map((c) => [c.client_id, c.ttl ?? 300]));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signing = { ...privateKey.export({ format: 'jwk' }), kid: `k-${randomUUID()}`, alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: c.scope,
    token_endpoint_auth_method: 'client_secret_post',
  })),
  scopes: config.scopes,
  jwks: { keys: [signing] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource, client) => ({
        scope: config.scopes.join(' '),
        audience: resource,
        accessTokenTTL: ttls[client.clientId] ?? 300,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});

const server = createServer(provider.callback());
server.listen(config.port, '127.0.0.1', () => {
  console.log(`oidc-provider ready ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}

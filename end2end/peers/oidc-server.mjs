// A certified OAuth 2.0 / OpenID Connect authorization server (oidc-provider)
// for the Rust test suite: PKCE required, refresh-token rotation with reuse
// detection, revocation and introspection. Configured by environment:
//   PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS (comma separated)
// Prints "listening <issuer>" once ready; stops on SIGTERM.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: process.env.REDIRECT_URIS.split(','),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  scopes: ['openid', 'offline_access', 'drive.readonly'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  cookies: { keys: ['cloud-sources-test-only'] },
  ttl: { AccessToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 600, Grant: 86400 },
});

// HTTP answers only say "grant request is invalid": log why, for test output.
provider.on('grant.error', (ctx, err) => console.error(`grant.error: ${err.message} ${err.error_description ?? ''}`));
provider.on('server_error', (ctx, err) => console.error(`server_error: ${err.stack}`));

const server = provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

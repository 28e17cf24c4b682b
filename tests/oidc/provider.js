// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback, for the sign-in browser tests.
//
//   node provider.js --port 4100 --app-port 8501 [--realm realm.json]
//
// The issuer is http://127.0.0.1:<port>; its discovery document is <issuer>/.well-known/openid-configuration.
// Clients and accounts come from realm.json. People sign in on this provider's own interaction pages (below):
// an email and password form that checks the account, the way a real identity provider's login page does.
// Once it listens, the provider prints one line, "oidc-provider listening on <issuer>", on standard output.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import Provider, { interactionPolicy } from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: {
    port: { type: 'string' },
    'app-port': { type: 'string' },
    realm: { type: 'string', default: resolve(here, 'realm.json') },
  },
});
if (!options.port || !options['app-port']) {
  console.error('usage: node provider.js --port PORT --app-port STREAMLIT_PORT [--realm realm.json]');
  process.exit(2);
}

const issuer = `http://127.0.0.1:${options.port}`;
const realm = JSON.parse(readFileSync(options.realm, 'utf8'));
const withAppPort = (uris) => (uris || []).map((uri) => uri.replaceAll('{app_port}', options['app-port']));
const accounts = new Map(realm.accounts.map((account) => [account.sub, account]));
const accountByEmail = (email) => realm.accounts.find(
  (account) => account.email.toLowerCase() === String(email || '').trim().toLowerCase(),
);

// Streamlit's st.login asks for prompt=select_account by default (as Microsoft Entra ID and Google support).
// oidc-provider knows only login and consent, and refuses a request with any other prompt, so the policy gains
// a requestable select_account prompt that the sign-in form below resolves together with login.
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

// A fresh signing key per run: nothing signed by a previous run must verify.
const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: realm.clients.map(({ redirect_uris, post_logout_redirect_uris, ...client }) => ({
    ...client,
    redirect_uris: withAppPort(redirect_uris),
    post_logout_redirect_uris: withAppPort(post_logout_redirect_uris),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  })),
  jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256', kid: 'test-signing-key' }] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Streamlit builds st.user from the ID token alone and never calls the userinfo endpoint, so the email must be in
  // the ID token itself (oidc-provider otherwise keeps scope claims for userinfo when an access token is issued).
  conformIdTokenClaims: false,
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: account.email, email_verified: true, name: account.name };
      },
    };
  },
  // The dashboard is a first-party client, consented to by the organisation (as an admin grants consent for the
  // tenant in Entra ID): signing in asks for no separate consent.
  async loadExistingGrant(ctx) {
    const { client, session, result } = ctx.oidc;
    if (!session.accountId) return undefined;
    const grantId = result?.consent?.grantId || session.grantIdFor(client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      // The default pages load a web font; this machine has no network, and the tests need none.
      async logoutSource(ctx, form) {
        ctx.body = page('Sign out', `<h1>Sign out of the test provider?</h1>${form}
          <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
          <button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<h1>You are signed out.</h1>');
      },
    },
  },
  ttl: {
    AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600,
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<h1>Sign-in error</h1><p id="error">${escape(out.error)}: ${
      escape(out.error_description || '')}</p>`);
  },
});

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:sans-serif;max-width:24rem;margin:3rem auto}label,input,button{display:block;width:100%;
margin:.4rem 0}p.error{color:#a00}</style></head><body>${body}</body></html>`;
}

function signInForm(uid, clientName, { email = '', error = '' } = {}) {
  return page('Sign in', `<h1>Sign in</h1><p>to ${escape(clientName)}</p>
${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
  <label for="email">Email</label><input id="email" name="email" type="email" required value="${escape(email)}">
  <label for="password">Password</label><input id="password" name="password" type="password" required>
  <button type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button type="submit">Cancel</button></form>`);
}

async function formBody(req) {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(raw);
}

// The provider's interaction endpoints: where an authorization request that needs a person lands, and where the
// sign-in form posts. interactionDetails and interactionResult tie them to the pending request.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|abort))?$/.exec(ctx.path);
  if (!match) return next();
  ctx.set('cache-control', 'no-store');
  const [, uid, action] = match;
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) ctx.throw(400, 'interaction mismatch');
  const client = await provider.Client.find(details.params.client_id);
  const clientName = client?.clientName || details.params.client_id;
  let result;
  if (!action && ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = signInForm(uid, clientName, { email: details.params.login_hint || '' });
    return undefined;
  }
  if (action === 'abort' && ctx.method === 'POST') {
    result = { error: 'access_denied', error_description: 'The person cancelled the sign-in.' };
  } else if (action === 'login' && ctx.method === 'POST') {
    const form = await formBody(ctx.req);
    const account = accountByEmail(form.get('email'));
    if (!account || account.password !== form.get('password')) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = signInForm(uid, clientName, { email: form.get('email') || '', error: 'Wrong email or password.' });
      return undefined;
    }
    result = { select_account: {}, login: { accountId: account.sub } };
  } else {
    ctx.throw(405);
  }
  ctx.status = 303;
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  return undefined;
});

const server = createServer(provider.callback());
server.listen(Number(options.port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

// Real DPoP clients against the module (t/test_dpop_node.py): oauth4webapi
// (client_credentials, authorization code + PKCE, refresh, protected resource
// requests, each with its own DPoP handle) and panva's dpop (proofs built by
// hand for a raw fetch). argv: issuer, protected URL, confidential client id,
// its secret, public client id, redirect URI. The authorization URL goes out
// as a JSON line; the test plays the user and writes back the URL the browser
// landed on; the results come out as one JSON line.
import * as oauth from 'oauth4webapi'
import * as dpop from 'dpop'
import * as readline from 'node:readline'

const [issuer, resource, ccId, ccSecret, publicId, redirect] = process.argv.slice(2)
const insecure = { [oauth.allowInsecureRequests]: true }
const out = {}
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const send = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

// oauth4webapi throws on an answer with a challenge; the test wants it whole.
async function call(token, handle) {
  let r
  try {
    r = await oauth.protectedResourceRequest(token, 'GET', new URL(resource),
      undefined, undefined, { DPoP: handle, ...insecure })
  } catch (e) {
    if (!(e instanceof oauth.WWWAuthenticateChallengeError)) throw e
    r = e.response
  }
  return { status: r.status, body: r.status === 200 ? await r.json() : await r.text(),
           challenge: r.headers.get('www-authenticate') }
}

async function errorOf(promise) {
  try { await promise; return null } catch (e) { return e.error ?? e.code ?? String(e) }
}

try {
  const as = await oauth.processDiscoveryResponse(new URL(issuer),
    await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...insecure }))
  out.algs = as.dpop_signing_alg_values_supported

  // 1. client_credentials with oauth4webapi's DPoP handle (ES256).
  {
    const client = { client_id: ccId }
    const keys = await oauth.generateKeyPair('ES256')
    const handle = oauth.DPoP(client, keys)
    const res = await oauth.clientCredentialsGrantRequest(as, client,
      oauth.ClientSecretBasic(ccSecret), { scope: 'a' }, { DPoP: handle, ...insecure })
    const tok = await oauth.processClientCredentialsResponse(as, client, res)
    out.cc = { token_type: tok.token_type, access_token: tok.access_token,
               jkt: await dpop.calculateThumbprint(keys.publicKey),
               call: await call(tok.access_token, handle) }
    // The same token with a handle on another key: refused by the edge.
    const other = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
    out.cc.other_key = await call(tok.access_token, other)
  }

  // 2. panva's dpop: RS256 proofs for a raw fetch, then one replayed.
  {
    const keys = await dpop.generateKeyPair('RS256')
    const proof = await dpop.generateProof(keys, as.token_endpoint, 'POST')
    const res = await fetch(as.token_endpoint, {
      method: 'POST',
      headers: { DPoP: proof, Authorization: 'Basic ' + Buffer.from(`${ccId}:${ccSecret}`).toString('base64'),
                 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'a' }) })
    const tok = await res.json()
    const p = await dpop.generateProof(keys, resource, 'GET', undefined, tok.access_token)
    const use = () => fetch(resource, { headers: { Authorization: `DPoP ${tok.access_token}`, DPoP: p } })
    const first = await use(), again = await use()
    out.raw = { token_status: res.status, token_type: tok.token_type,
                jkt: await dpop.calculateThumbprint(keys.publicKey),
                access_token: tok.access_token, first: first.status, replay: again.status,
                replay_challenge: again.headers.get('www-authenticate') }
  }

  // 3. Authorization code + PKCE, then refresh, with one ES256 handle.
  {
    const client = { client_id: publicId }
    const keys = await oauth.generateKeyPair('ES256')
    const handle = oauth.DPoP(client, keys)
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const url = new URL(as.authorization_endpoint)
    url.search = new URLSearchParams({ response_type: 'code', client_id: publicId,
      redirect_uri: redirect, scope: 'a', state, code_challenge_method: 'S256',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier) })
    send({ authorize: url.href })
    const landed = (await lines.next()).value
    const params = oauth.validateAuthResponse(as, client, new URL(landed), state)
    const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params,
      redirect, verifier, { DPoP: handle, ...insecure })
    const tok = await oauth.processAuthorizationCodeResponse(as, client, res)
    out.code = { token_type: tok.token_type, access_token: tok.access_token,
                 jkt: await dpop.calculateThumbprint(keys.publicKey),
                 call: await call(tok.access_token, handle) }
    // Refresh without a proof, then with a proof by another key: both refused.
    out.code.refresh_without_proof = await errorOf(oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tok.refresh_token, insecure)))
    const stranger = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
    out.code.refresh_other_key = await errorOf(oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tok.refresh_token,
        { DPoP: stranger, ...insecure })))
    const fresh = await oauth.processRefreshTokenResponse(as, client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tok.refresh_token,
        { DPoP: handle, ...insecure }))
    out.refresh = { token_type: fresh.token_type, access_token: fresh.access_token,
                    call: await call(fresh.access_token, handle) }
  }
} catch (e) {
  out.error = `${e.name}: ${e.message} ${JSON.stringify(e.error ?? e.cause ?? '')}`
}
send(out)
process.exit(0)

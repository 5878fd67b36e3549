// oauth4webapi against a server with oauth_dpop_nonce on (t/test_dpop_node.py):
// the DPoP handle learns the nonce from the use_dpop_nonce answer by itself
// (it caches DPoP-Nonce per origin); the one retry is oauth4webapi's
// documented pattern (isDPoPNonceError). argv: issuer, protected URL (on
// another origin than the issuer, so that the edge has to ask too), client
// id, secret. Prints one JSON line.
import * as oauth from 'oauth4webapi'
import * as dpop from 'dpop'

const [issuer, resource, ccId, ccSecret] = process.argv.slice(2)
const insecure = { [oauth.allowInsecureRequests]: true }
const out = { token_attempts: [], resource_attempts: [] }

async function once(attempts, fn) {
  try {
    const r = await fn()
    attempts.push('ok')
    return r
  } catch (e) {
    if (!oauth.isDPoPNonceError(e)) throw e
    attempts.push('use_dpop_nonce')
    const r = await fn()
    attempts.push('ok')
    return r
  }
}

try {
  const as = await oauth.processDiscoveryResponse(new URL(issuer),
    await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...insecure }))
  const client = { client_id: ccId }
  const keys = await oauth.generateKeyPair('ES256')
  const handle = oauth.DPoP(client, keys)
  const tok = await once(out.token_attempts, async () =>
    oauth.processClientCredentialsResponse(as, client,
      await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(ccSecret),
        { scope: 'a' }, { DPoP: handle, ...insecure })))
  out.token_type = tok.token_type
  out.access_token = tok.access_token
  out.jkt = await dpop.calculateThumbprint(keys.publicKey)
  const res = await once(out.resource_attempts, () =>
    oauth.protectedResourceRequest(tok.access_token, 'GET', new URL(resource), undefined, undefined,
      { DPoP: handle, ...insecure }))
  out.status = res.status
  out.body = await res.json()
  // A second call reuses the cached nonce: no refusal.
  const again = await oauth.protectedResourceRequest(tok.access_token, 'GET', new URL(resource),
    undefined, undefined, { DPoP: handle, ...insecure })
  out.again = again.status

  // panva's dpop (Ed25519 keys, alg "Ed25519"): the nonce from the 400 goes
  // into the next proof.
  {
    const k = await dpop.generateKeyPair('Ed25519')
    const send = async (nonce) => {
      const proof = await dpop.generateProof(k, as.token_endpoint, 'POST', nonce)
      return fetch(as.token_endpoint, {
        method: 'POST',
        headers: { DPoP: proof, Authorization: 'Basic ' + Buffer.from(`${ccId}:${ccSecret}`).toString('base64'),
                   'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'a' }) })
    }
    const first = await send(undefined)
    const firstBody = await first.json()
    const second = await send(first.headers.get('dpop-nonce') ?? undefined)
    const secondBody = await second.json()
    out.raw = { first: first.status, first_error: firstBody.error, second: second.status,
                token_type: secondBody.token_type, access_token: secondBody.access_token,
                alg: JSON.parse(Buffer.from((await dpop.generateProof(k, 'https://x/', 'GET')).split('.')[0], 'base64url')).alg,
                jkt: await dpop.calculateThumbprint(k.publicKey) }
  }
} catch (e) {
  out.error = `${e.name}: ${e.message} ${JSON.stringify(e.error ?? e.cause ?? '')}`
}
process.stdout.write(JSON.stringify(out) + '\n')
process.exit(0)

"""What the integration tests share (rig.py and conftest.py stay at t/'s top:
the nginx, Redis and upstream the tests run against). One module a job:

  browser      the scripted browser (requests.Session + the served HTML forms)
               and the authorization code flow helpers around it
  forms        the one HTML form parser
  query        the one query-string parser
  jwks         the served JWKS, access and ID token verification
  code_flow    authorization codes written into Redis, their exchange, PKCE
  device       the device grant's device side and the person approving it
  registration dynamic client registration requests
  tokens       token, introspection and revocation requests and errors
  require      tokens minted for oauth_require (signing keys, sessions)
  dpop         DPoP proofs; dpop_nonce: the server's nonces, computed
  metrics      oauth_metrics scrapes
  http2        an HTTP/2 client and the listen syntax of the nginx under test
  chromium     a real headless browser (Selenium)
  cluster, sentinel, session_cache: the Redis topologies and the cache's links

A test module imports from here, never from another test module."""

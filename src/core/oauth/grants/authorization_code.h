// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5-4.6) and OpenID Connect (OIDC
// Core §3.1.3): the token endpoint's authorization_code grant.
//
// Steps (each one Redis round trip):
//   1. CONSUME P code:{sha256hex(code)} (store/scripts.h) with a marker
//      naming the family id allocated for this exchange, kept as long as that
//      family may live. Single use is decided by Redis, atomically.
//        "none"        unknown or expired                -> invalid_grant
//        "used", fid   a replay (RFC 6749 §4.1.2): step 1b -> invalid_grant
//        "ok", record  checked below
//   1b. replay: in one MULTI/EXEC, REVOKE_FAMILY fid (every token the first
//       exchange issued) and leave a tombstone hash P fam:{fid} {"revoked":1}
//       so that a first exchange still between its steps 1 and 2 fails its
//       ISSUE ("family exists") instead of issuing after the revocation.
//   2. checks on the record: issued to this client; redirect_uri identical to
//      the authorized one (§4.1.3); not past iat + oauth_code_ttl; PKCE;
//      scope still within the client's. Any failure is invalid_grant (the
//      code is spent: a failed exchange burns it, which also stops guessing
//      verifiers). Then token::issue with family_id = the marker's fid.
//   3. the ISSUE reply: the token response, with an id_token when openid was
//      granted (oauth/id_token.h).
//
// Family fields added for later grants and userinfo (P fam:{fid} hash; the
// names are id_token::kFieldAuthTime and id_token::kFieldClaims):
//   auth_time   decimal unix seconds of the user's authentication
//   claims      the user's claims object as JSON text (from the code record:
//               the user record, or what an external login posted)
#pragma once
#include <memory>

#include "oauth/grants/grant.h"

namespace oauth::token {

std::unique_ptr<Grant> make_authorization_code_grant(const GrantContext& ctx);

}  // namespace oauth::token

// Why oauth_require refused a request (or that it did not). One enum; the
// text is for the error log at info level and never holds token bytes. The
// mapping to HTTP lives in challenge.h, at the edge of the core.
#pragma once
#include <string_view>

namespace oauth::require {

enum class Reason {
    Ok,
    // The Authorization header (RFC 6750 §2.1).
    NoToken,           // no header, or another scheme: counts as no token
    MalformedHeader,   // "Bearer" with no token, several tokens, bad characters
    // The JWS (RFC 7515) and its keys.
    Malformed,         // not three parts, bad base64url or JSON, too big
    UnknownKid,
    AlgMismatch,       // alg is not the kid's key algorithm: none, HS256, ...
    BadSignature,
    // The JWT (RFC 7519, RFC 9068).
    BadType,           // typ is not at+jwt (RFC 9068 §4)
    BadClaim,          // a registered claim of the wrong JSON type
    ControlCharacter,  // a string claim holds a control character
    MissingJti,
    MissingExp,
    WrongIssuer,
    Expired,
    NotYetValid,
    IssuedInFuture,
    WrongAudience,
    InsufficientScope,
    // DPoP (RFC 9449 §7; require/dpop_check.h).
    InvalidDpopProof,  // missing, several, or failing a rule (the log says which)
    DpopReplayed,      // the proof's jti was seen before, on any node
    BoundAsBearer,     // a DPoP-bound token sent as Bearer (§7.2)
    DpopRequired,      // dpop=required and a Bearer token
    NotDpopBound,      // the DPoP scheme with a token that has no cnf.jkt
    UseDpopNonce,      // oauth_dpop_nonce: the proof lacks the current nonce (§9)
    // The session (SPEC §3: the token lives only while its session lives).
    Revoked,
    StoreUnavailable,
    Internal,
};

std::string_view reason_text(Reason r);

}  // namespace oauth::require

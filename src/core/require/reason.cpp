#include "require/reason.h"

namespace oauth::require {

std::string_view reason_text(Reason r) {
    switch (r) {
    case Reason::Ok: return "ok";
    case Reason::NoToken: return "no bearer token";
    case Reason::MalformedHeader: return "malformed Authorization header";
    case Reason::Malformed: return "malformed token";
    case Reason::UnknownKid: return "unknown kid";
    case Reason::AlgMismatch: return "alg does not match the key";
    case Reason::BadSignature: return "bad signature";
    case Reason::BadType: return "typ is not at+jwt";
    case Reason::BadClaim: return "claim of the wrong type";
    case Reason::ControlCharacter: return "control character in a claim";
    case Reason::MissingJti: return "no jti claim";
    case Reason::MissingExp: return "no exp claim";
    case Reason::WrongIssuer: return "wrong issuer";
    case Reason::Expired: return "token expired";
    case Reason::NotYetValid: return "token not yet valid (nbf)";
    case Reason::IssuedInFuture: return "token issued in the future (iat)";
    case Reason::WrongAudience: return "audience not accepted";
    case Reason::InsufficientScope: return "insufficient scope";
    case Reason::InvalidDpopProof: return "invalid DPoP proof";
    case Reason::DpopReplayed: return "DPoP proof: jti replayed";
    case Reason::BoundAsBearer: return "DPoP-bound token sent as Bearer";
    case Reason::DpopRequired: return "Bearer token where DPoP is required";
    case Reason::NotDpopBound: return "DPoP scheme with a token not bound to a key";
    case Reason::UseDpopNonce: return "DPoP proof: nonce missing, unknown or expired";
    case Reason::Revoked: return "token revoked (no session)";
    case Reason::StoreUnavailable: return "session store unavailable";
    case Reason::Internal: return "internal error";
    }
    return "unknown";
}

}  // namespace oauth::require

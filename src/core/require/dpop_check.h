// DPoP at the edge (RFC 9449 §7, SPEC §10): which scheme carried the token,
// whether the location and the token accept it, and the proof. Everything
// here runs on every request that presents a token; the token's signature
// and claims come from the worker's cache (require/validate.h), the proof
// is verified afresh each time, and its jti goes to Redis beside the session
// check, in the same round trip (dpop/replay.h).
#pragma once
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dpop/proof.h"
#include "require/bearer.h"
#include "require/challenge.h"
#include "require/claims.h"

namespace oauth::require {

enum class DpopMode { Allowed, Required };
enum class Scheme { Bearer, DPoP };

struct PresentedToken {
    BearerToken token;   // reason NoToken when neither scheme is there
    Scheme scheme = Scheme::Bearer;
};

// Authorization: Bearer T, or DPoP T (RFC 9449 §7.1); the same grammar.
PresentedToken parse_authorization(std::optional<std::string_view> header);

struct DpopRequest {
    std::optional<std::string_view> proof;  // the first DPoP header
    unsigned proof_count = 0;
    std::string_view method;
    std::string_view url;                   // as the client saw it
    int64_t now = 0;
    int64_t leeway = 30;
};

struct DpopDenial {
    Reason reason;
    std::string_view detail;  // for the log: which proof rule failed
};

// nullopt: a Bearer token that may pass as one. A Proof: its jti is to be
// spent in Redis. A denial otherwise.
std::expected<std::optional<dpop::Proof>, DpopDenial> check_dpop(Scheme scheme, DpopMode mode,
                                                                 const Claims& claims,
                                                                 std::string_view token,
                                                                 const DpopRequest& request);

// Whether a refusal speaks the DPoP scheme (RFC 9449 §7.1): the request used
// it, the location requires it, or the token is bound.
bool dpop_challenge_wanted(Scheme scheme, DpopMode mode, const Claims* claims);

// challenge_for() in the DPoP scheme, with algs; invalid_dpop_proof for the
// proof's own failures.
Challenge dpop_challenge_for(Reason r, std::string_view realm, std::span<const std::string_view> scopes);

}  // namespace oauth::require

// The access token at the authorization server's own protected endpoints
// (userinfo, login_accept), checked as oauth_require checks it: RFC 6750 §2.1
// (the Authorization header only) and RFC 9068 §4 (require/validate.h).
#pragma once
#include <expected>
#include <optional>
#include <string_view>

#include "dpop/proof.h"
#include "flow/flow.h"
#include "require/reason.h"
#include "require/validate.h"

namespace oauth::bearer {

// One Authorization header carrying one Bearer token, verified with the
// server's keys (through the process's token cache), issued by this server,
// within its times (the location's oauth_leeway), granted `scope`. Its session
// (SPEC §3) is the caller's Redis step.
// A DPoP-bound token is refused here (RFC 9449 §7.2): these callers take
// Bearer tokens only.
std::expected<require::ClaimsPtr, require::Reason> access_claims(const flow::Request& request,
                                                                 const flow::ServerConfig& server,
                                                                 std::string_view scope);

// RFC 6750 §3 as a JSON answer: the status and challenge oauth_require would
// give for `r` (scope announced with insufficient_scope), with an RFC 6749
// §5.2 body.
http::Response denial(require::Reason r, std::string_view realm, std::string_view scope);
// The same, accepting a DPoP-bound token in the DPoP scheme with its proof
// (RFC 9449 §7.1, htu the issuer's origin and the request path). The
// proof's jti is the caller's to spend (dpop/replay.h) in its Redis step.
// With oauth_dpop_nonce on (RFC 9449 §9), nonce is the DPoP-Nonce the
// answer carries ("" none); a proof without a current one is refused with
// Reason::UseDpopNonce.
struct Access {
    require::ClaimsPtr claims;
    std::optional<dpop::Proof> proof;
    std::string nonce;
};
struct Refusal {
    Refusal(require::Reason r, bool in_dpop = false, std::string_view why = {})
        : reason(r), dpop(in_dpop), detail(why) {}
    require::Reason reason;
    bool dpop;                    // answer in the DPoP scheme (with algs)
    std::string_view detail;      // for the log, when reason_text() is not enough
    std::string nonce;            // UseDpopNonce: the nonce to use
};
std::expected<Access, Refusal> access_with_dpop(const flow::Request& request,
                                                const flow::ServerConfig& server,
                                                std::string_view scope);

}  // namespace oauth::bearer

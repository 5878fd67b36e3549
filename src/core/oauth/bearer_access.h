// The access token at the authorization server's own protected endpoints
// (userinfo, login_accept), checked as oauth_require checks it: RFC 6750 §2.1
// (the Authorization header only) and RFC 9068 §4 (require/validate.h).
#pragma once
#include <expected>
#include <string_view>

#include "flow/flow.h"
#include "require/reason.h"
#include "require/validate.h"

namespace oauth::bearer {

// One Authorization header carrying one Bearer token, verified with the
// server's keys (through the process's token cache), issued by this server,
// within its times (the location's oauth_leeway), granted `scope`. Its session
// (SPEC §3) is the caller's Redis step.
std::expected<require::ClaimsPtr, require::Reason> access_claims(const flow::Request& request,
                                                                 const flow::ServerConfig& server,
                                                                 std::string_view scope);

// RFC 6750 §3 as a JSON answer: the status and challenge oauth_require would
// give for `r` (scope announced with insufficient_scope), with an RFC 6749
// §5.2 body.
flow::Response denial(require::Reason r, std::string_view realm, std::string_view scope);

}  // namespace oauth::bearer

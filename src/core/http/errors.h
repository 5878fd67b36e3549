// OAuth error codes: one enum, their wire strings and HTTP statuses in one
// table (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1, RFC 8628 §3.5, OIDC
// Core §3.1.2.6).
#pragma once
#include <string>
#include <string_view>

#include "http/response.h"

namespace oauth {

enum class Error {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    UnsupportedTokenType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    InvalidToken,
    InsufficientScope,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    InvalidRedirectUri,     // RFC 7591 §3.2.2
    InvalidClientMetadata,  // RFC 7591 §3.2.2
    InvalidTarget,          // RFC 8707 §2
    InvalidDpopProof,   // RFC 9449 §5, §7.1
    UseDpopNonce,       // RFC 9449 §8
};

std::string_view error_code(Error e);

// RFC 6749 §4.1.2.1, §5.2: error_description holds only %x20-21 / %x23-5B /
// %x5D-7E. Descriptions may quote the request (a parameter's name), so both
// writers (error_response, authz::error_redirect) pass them through this:
// '"' becomes '\'', '\\' becomes '/', any other byte outside the set '?'.
std::string description_text(std::string_view description);
unsigned error_status(Error e);

// {"error":...,"error_description":...} with the table's status,
// Content-Type application/json and Cache-Control no-store.
http::Response error_response(Error e, std::string_view description);
// 500 server_error, shared by every endpoint.
http::Response internal_error();

}  // namespace oauth

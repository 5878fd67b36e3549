// The answers to the client's redirect_uri (RFC 6749 §4.1.2, RFC 9207):
// the code, or an error, always with state and iss.
#pragma once
#include <string_view>

#include "flow/server.h"
#include "http/errors.h"
#include "http/response.h"

namespace oauth::authz {

// RFC 6749 §4.1.2.1 + RFC 9207: redirect_uri?error=..&error_description=..
// &state=..&iss=.. (302 after a GET, 303 after a POST).
http::Response error_redirect(const flow::ServerConfig& server, std::string_view redirect_uri,
                              std::string_view state, Error e, std::string_view description,
                              unsigned status);

// RFC 6749 §4.1.2 + RFC 9207: redirect_uri?code=..&state=..&iss=..
http::Response code_redirect(const flow::ServerConfig& server, std::string_view redirect_uri,
                             std::string_view code, std::string_view state, unsigned status);

}  // namespace oauth::authz

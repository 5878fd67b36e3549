// RFC 7591 §2 client metadata, as oauth_registration accepts it (SPEC §9):
// what a client that registers itself may be. One function reads a posted
// metadata document and answers either the metadata we register or the
// RFC 7591 §3.2.2 error (invalid_redirect_uri, invalid_client_metadata).
//
// Rules (each has its test in t/unit/registration_test.cpp and
// t/test_registration.py):
//   redirect_uris   required with authorization_code; 1..10 absolute URIs
//                   without fragment, https, or http on a loopback host
//                   (127.0.0.1, [::1], localhost: RFC 8252 §7.3, §8.3).
//   grant_types     authorization_code (default) and refresh_token; plus
//                   client_credentials when the registration was
//                   authenticated (mode token) and the client is confidential.
//   response_types  "code" (default with authorization_code), consistent
//                   with grant_types (RFC 7591 §2.1).
//   token_endpoint_auth_method  none, client_secret_basic (default),
//                   client_secret_post.
//   scope           registrable scopes only (registrable_scopes()); none:
//                   all of them. Scopes starting "oauth:" are the
//                   administrator's (oauth:login, oauth:register) and never
//                   registrable.
//   client_name, client_uri, logo_uri, tos_uri, policy_uri, contacts,
//   software_id, software_version: kept and shown back; *_uri must be http(s).
//   Anything else is ignored, and not echoed (RFC 7591 §2).
#pragma once
#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "flow/server.h"
#include "json/json.h"
#include "http/errors.h"

namespace oauth::registration {

struct Metadata {
    std::vector<std::string> redirect_uris;
    std::vector<std::string> grant_types;
    std::string auth_method;  // none | client_secret_basic | client_secret_post
    std::vector<std::string> scopes;
    std::string client_name;
    std::string client_uri;
    // The members as registered, defaults filled in: what the registration
    // answers (and RFC 7592 reads return) besides client_id and secrets.
    json::Json document;

    bool is_public() const { return auth_method == "none"; }
};

struct Refusal {
    Error error;  // InvalidRedirectUri or InvalidClientMetadata
    std::string description;
};

// `authenticated`: the registration carried a valid oauth:register token
// (mode token), which alone allows client_credentials.
std::expected<Metadata, Refusal> validate(const json_t* body, const flow::ServerConfig& server,
                                          bool authenticated);

// https, or http on a loopback host; absolute, no fragment, no userinfo.
bool valid_redirect_uri(std::string_view uri);

// The OpenID Connect scopes this server knows plus the scopes_supported of
// every oauth_resource.
std::vector<std::string> registrable_scopes(const flow::ServerConfig& server);

// The grant types a registration may ask for: authorization_code and
// refresh_token; client_credentials too when it is `authenticated`.
std::vector<std::string_view> registrable_grants(bool authenticated);

}  // namespace oauth::registration

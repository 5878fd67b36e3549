// oauth_discovery (SPEC §4.2): one document for both RFC 8414 §2
// (/.well-known/oauth-authorization-server) and OpenID Connect Discovery 1.0
// §3 (/.well-known/openid-configuration), describing only what this server
// block actually serves.
#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

#include "dpop/proof.h"
#include "jose/key.h"
#include "oauth/clients/client_metadata.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/endpoints/published.h"
#include "oauth/grants/grant.h"
#include "oauth/scopes/known_scopes.h"

namespace oauth::endpoints {

namespace {

using namespace std::string_view_literals;

struct EndpointMember {
    oauth_endpoint_e endpoint;
    const char* member;
};
// RFC 8414 §2, RFC 8628 §4, OIDC Discovery §3: published only when the
// server block has a location with that handler.
constexpr EndpointMember kEndpoints[] = {
    {OAUTH_EP_AUTHORIZE, "authorization_endpoint"},
    {OAUTH_EP_TOKEN, "token_endpoint"},
    {OAUTH_EP_INTROSPECT, "introspection_endpoint"},
    {OAUTH_EP_REVOKE, "revocation_endpoint"},
    {OAUTH_EP_USERINFO, "userinfo_endpoint"},
    {OAUTH_EP_DEVICE_AUTHORIZATION, "device_authorization_endpoint"},
    {OAUTH_EP_LOGOUT, "end_session_endpoint"},  // OIDC RP-Initiated Logout §2.1
    {OAUTH_EP_JWKS, "jwks_uri"},
    {OAUTH_EP_REGISTRATION, "registration_endpoint"},  // RFC 8414 §2, RFC 7591 §3
};

json_t* strings(std::span<const std::string_view> values) {
    json_t* array = json_array();
    for (std::string_view v : values)
        json::append(array, v);
    return array;
}

void set_array(json_t* doc, const char* member, std::span<const std::string_view> values) {
    json::set_new(doc, member, strings(values));
}

// The signing key's algorithm first (it signs every ID token), then those
// of the keys still published for verification, each once.
std::vector<std::string_view> signing_algs(const ServerConfig& s) {
    std::vector<std::string_view> algs;
    for (const jose::KeyPtr& key : s.keys) {
        std::string_view name = jose::alg_name(key->alg());
        if (std::find(algs.begin(), algs.end(), name) == algs.end()) algs.push_back(name);
    }
    return algs;
}

// What registration allows (SPEC §9): no standard member says it, so the
// registration_* members below are this server's own (RFC 8414 §2 allows
// additional members); the standard ones above stay what any client may use.
void add_registration(json_t* d, const ServerConfig& s) {
    json_t* r = json_object();
    json::set_new(d, "registration", r);
    json::set(r, "mode", s.registration.open ? "open" : "token");
    // Mode token: every registration is authenticated.
    set_array(r, "grant_types_supported", registration::registrable_grants(!s.registration.open));
    set_array(r, "response_types_supported", std::array{"code"sv});
    set_array(r, "token_endpoint_auth_methods_supported",
              std::array{"none"sv, "client_secret_basic"sv, "client_secret_post"sv});
    std::vector<std::string> scopes = registration::registrable_scopes(s);
    std::vector<std::string_view> views(scopes.begin(), scopes.end());
    set_array(r, "scopes_supported", views);
    json::set(r, "redirect_uris", "https, or http on a loopback host (RFC 8252)");
    json::set(r, "consent", "always");
    if (s.registration.per_address > 0) {
        json::set(r, "limit_per_address", s.registration.per_address);
        json::set(r, "limit_window_seconds", s.registration.window);
    }
}

std::string document(const ServerConfig& s) {
    json::Json doc(json_object());
    json_t* d = doc.get();
    json::set(d, "issuer", s.issuer);
    for (const auto& [endpoint, member] : kEndpoints)
        if (s.has_endpoint(endpoint)) json::set(d, member, s.endpoint_url(endpoint));

    set_array(d, "response_types_supported", std::array{"code"sv});
    set_array(d, "response_modes_supported", std::array{"query"sv});
    set_array(d, "grant_types_supported", token::served_grants(s));
    // RFC 7636 §4.2: plain is refused, so only S256 is advertised.
    set_array(d, "code_challenge_methods_supported", std::array{"S256"sv});
    set_array(d, "token_endpoint_auth_methods_supported",
              std::array{"client_secret_basic"sv, "client_secret_post"sv, "none"sv});
    // Introspection and revocation need an authenticated client (SPEC §4.2).
    constexpr std::array confidential = {"client_secret_basic"sv, "client_secret_post"sv};
    if (s.has_endpoint(OAUTH_EP_INTROSPECT))
        set_array(d, "introspection_endpoint_auth_methods_supported", confidential);
    if (s.has_endpoint(OAUTH_EP_REVOKE))
        set_array(d, "revocation_endpoint_auth_methods_supported", confidential);
    set_array(d, "scopes_supported", supported_scopes());
    set_array(d, "claims_supported", supported_claims());
    set_array(d, "id_token_signing_alg_values_supported", signing_algs(s));
    set_array(d, "subject_types_supported", std::array{"public"sv});
    // OIDC Discovery §3 defaults request_uri_parameter_supported to true; we
    // take no request objects, so say so.
    json::set_new(d, "request_parameter_supported", json_false());
    json::set_new(d, "request_uri_parameter_supported", json_false());
    // RFC 9207 §3: authorization responses carry iss.
    json::set_new(d, "authorization_response_iss_parameter_supported", json_true());
    if (s.has_endpoint(OAUTH_EP_REGISTRATION)) add_registration(d, s);
    // RFC 9449 §5.1: the algorithms a DPoP proof may use.
    json::Json dpop_algs(json_array());
    for (auto alg : dpop::supported_algs()) json::append(dpop_algs.get(), alg);
    json::set_new(d, "dpop_signing_alg_values_supported", dpop_algs.release());
    return json::dump(d);
}

}  // namespace

std::unique_ptr<Flow> make_discovery(const ServerConfig& server, Request request) {
    return published::document_flow(server, std::move(request), "discovery",
                                    [](const ServerConfig& s, const Request&) -> published::Answer {
                                        return document(s);
                                    });
}

}  // namespace oauth::endpoints

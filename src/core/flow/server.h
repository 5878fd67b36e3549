// A server's configuration as the core sees it, built once from the glue's
// merged nginx configuration (oauth_server_params_t).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "dpop/nonce.h"
#include "jose/key.h"
#include "oauth_core.h"

namespace oauth::flow {

// oauth_login_limit: failed password checks allowed per user name and per
// client address in one window (SPEC §11); per_address 0: not counted.
struct LoginLimit {
    int64_t per_user = 5;
    int64_t per_address = 50;
    int64_t window = 60;  // seconds
};

// oauth_registration (SPEC §9): who may register, and how often an address may.
struct RegistrationPolicy {
    bool open = false;          // false: a Bearer with scope oauth:register
    int64_t per_address = 20;
    int64_t window = 3600;      // seconds
};

// oauth_resource (SPEC §9, RFC 8707): a protected resource's identifier.
struct Resource {
    std::string uri;
    std::vector<std::string> scopes;  // scopes_supported of its RFC 9728 metadata
    bool in_server = false;           // named in this server{}
};

struct ServerConfig {
    std::string issuer;
    std::string audience;  // already defaulted to the issuer
    std::string prefix;    // Redis key prefix, e.g. "oauth:"
    std::string login_url; // already defaulted to the oauth_login location
    std::array<int64_t, OAUTH_TTL_COUNT> ttl{};
    std::vector<jose::KeyPtr> keys;  // the first signs
    std::array<std::string, OAUTH_EP_COUNT> endpoint_path;
    LoginLimit login_limit;
    RegistrationPolicy registration;
    std::vector<Resource> resources;  // every oauth_resource of the configuration
    // DPoP nonces (dpop/nonce.h), one key per signing key, derived once.
    std::vector<dpop::NonceKey> dpop_nonce_keys;

    int64_t ttl_of(oauth_ttl_e which) const { return ttl[which]; }
    const jose::Key& signing_key() const { return *keys.front(); }
    // scheme://host[:port] of the issuer.
    std::string origin() const;
    bool has_endpoint(oauth_endpoint_e ep) const { return !endpoint_path[ep].empty(); }
    // origin + the location path holding the endpoint; empty when absent.
    std::string endpoint_url(oauth_endpoint_e ep) const;
    // Cookies get the Secure attribute when the issuer is https.
    bool secure() const { return issuer.starts_with("https://"); }
    // The configured resource with exactly this identifier; nullptr if none.
    const Resource* find_resource(std::string_view uri) const;
};

}  // namespace oauth::flow

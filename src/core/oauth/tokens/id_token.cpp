#include "oauth/tokens/id_token.h"

#include <openssl/evp.h>

#include <algorithm>
#include <stdexcept>

#include "jose/jws.h"
#include "oauth/scopes/known_scopes.h"
#include "oauth/users/user_claims.h"
#include "util/encoding.h"

namespace oauth::id_token {

namespace {

std::string digest(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(data.data(), data.size(), out, &n, md, nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed");
    return std::string(reinterpret_cast<const char*>(out), n);
}

bool has_scope(std::string_view scope, std::string_view want) {
    size_t pos = 0;
    while (pos <= scope.size()) {
        size_t end = std::min(scope.find(' ', pos), scope.size());
        if (scope.substr(pos, end - pos) == want) return true;
        pos = end + 1;
    }
    return false;
}


}  // namespace

bool wanted(std::string_view scope) { return has_scope(scope, "openid"); }

std::string at_hash(jose::Alg alg, std::string_view access_token) {
    const EVP_MD* md = alg == jose::Alg::EdDSA ? EVP_sha512() : EVP_sha256();
    std::string h = digest(md, access_token);
    return util::base64url_encode(std::string_view(h).substr(0, h.size() / 2));
}

json::Json released_claims(const json_t* user_claims, std::string_view scope,
                           std::string_view username) {
    json::Json out(json_object());
    for (std::string_view name : claims_for_scopes(scope)) {
        std::string key(name);
        json_t* v = json_is_object(user_claims) ? json_object_get(user_claims, key.c_str()) : nullptr;
        if (json::Json released = claims::for_release(name, v))
            json::set_copy(out.get(), key.c_str(), released.get());
    }
    if (!username.empty() && has_scope(scope, "profile") &&
        !json_object_get(out.get(), "preferred_username"))
        json::set(out.get(), "preferred_username", username);
    return out;
}

std::string mint(const flow::ServerConfig& server, const Request& req) {
    // OIDC Core §2: iss sub aud exp iat, auth_time when known, nonce when the
    // authentication request carried one; §3.1.3.6 at_hash.
    json::Json claims(json_object());
    json::set(claims.get(), "iss", server.issuer);
    json::set(claims.get(), "sub", req.sub);
    json::set(claims.get(), "aud", req.client_id);
    json::set(claims.get(), "exp",
              req.now + std::max<int64_t>(1, server.ttl_of(OAUTH_TTL_ACCESS_TOKEN)));
    json::set(claims.get(), "iat", req.now);
    if (req.auth_time) json::set(claims.get(), "auth_time", *req.auth_time);
    if (!req.nonce.empty()) json::set(claims.get(), "nonce", req.nonce);
    const jose::Key& key = server.signing_key();
    if (!req.access_token.empty())
        json::set(claims.get(), "at_hash", at_hash(key.alg(), req.access_token));
    // The released user claims never overwrite the ones above: none of the
    // §5.4 names is a registered ID token claim.
    json::Json user = released_claims(req.user_claims, req.scope, req.username);
    json::update_missing(claims.get(), user.get());
    return jose::sign_compact(key, "JWT", claims.get());
}

std::optional<std::string> on_refresh(const flow::ServerConfig& server,
                                      const store::Family& family, std::string_view scope,
                                      std::string_view access_token, int64_t now) {
    if (!wanted(family.scope) || !wanted(scope)) return std::nullopt;
    json::Json user;
    if (auto it = family.fields.find(kFieldClaims); it != family.fields.end())
        user = json::parse_object(it->second);
    return mint(server, Request{.client_id = family.client_id,
                                .sub = family.sub,
                                .username = family.username,
                                .scope = scope,
                                .user_claims = user.get(),
                                .auth_time = family.auth_time,
                                .nonce = {},
                                .access_token = access_token,
                                .now = now});
}

std::optional<Hint> read_hint(const flow::ServerConfig& server, std::string_view token) {
    auto jws = jose::verify_compact(token, server.keys);
    if (!jws) return std::nullopt;
    auto typ = json::get_string(jws->header.get(), "typ");
    if (!typ || *typ != "JWT") return std::nullopt;
    const json_t* p = jws->payload.get();
    auto iss = json::get_string(p, "iss");
    auto sub = json::get_string(p, "sub");
    if (!iss || *iss != server.issuer || !sub || sub->empty()) return std::nullopt;
    // Ours carry aud = the client_id; a one-element array is the same.
    std::optional<std::string_view> aud = json::get_string(p, "aud");
    const json_t* arr = json_object_get(p, "aud");
    if (!aud && json_is_array(arr) && json_array_size(arr) == 1 &&
        json_is_string(json_array_get(arr, 0)))
        aud = json_string_value(json_array_get(arr, 0));
    if (!aud || aud->empty()) return std::nullopt;
    return Hint{std::string(*sub), std::string(*aud)};
}

}  // namespace oauth::id_token

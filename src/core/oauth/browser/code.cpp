#include "oauth/browser/code.h"

#include "store/bounds.h"
#include "store/keys.h"
#include "util/crypto.h"

namespace oauth::authz {

namespace {

constexpr size_t kCodeBytes = 32;  // SPEC §3 asks >= 128 bits; RFC 6749 §10.10

}  // namespace

std::string serialize(const CodeRecord& c) {
    json::Json o(json_object());
    json_t* j = o.get();
    json::set(j, "client_id", c.client_id);
    json::set(j, "redirect_uri", c.redirect_uri);
    json::set(j, "code_challenge", c.code_challenge);
    json::set(j, "code_challenge_method", c.code_challenge_method);
    json::set(j, "nonce", c.nonce);
    json::set(j, "scope", c.scope);
    if (!c.resource.empty()) json::set(j, "resource", c.resource);
    json::set(j, "sub", c.sub);
    json::set(j, "username", c.username);
    json::set(j, "auth_time", c.auth_time);
    if (c.claims) json::set_copy(j, "claims", c.claims.get());
    else json::set_new(j, "claims", json_object());
    json::set(j, "iat", c.iat);
    json::set(j, "dpop_jkt", c.dpop_jkt);
    return json::dump(j);
}

std::optional<CodeRecord> parse_code(std::string_view text) {
    json::Json o = json::parse_object(text, 32);
    if (!o) return std::nullopt;
    const json_t* j = o.get();
    CodeRecord c;
    struct Member {
        const char* name;
        std::string* out;
    } members[] = {{"client_id", &c.client_id},
                   {"redirect_uri", &c.redirect_uri},
                   {"code_challenge", &c.code_challenge},
                   {"code_challenge_method", &c.code_challenge_method},
                   {"nonce", &c.nonce},
                   {"scope", &c.scope},
                   {"resource", &c.resource},
                   {"sub", &c.sub},
                   {"username", &c.username},
                   {"dpop_jkt", &c.dpop_jkt}};
    for (auto& m : members) {
        json_t* v = json_object_get(j, m.name);
        if (!v) continue;
        if (!json_is_string(v)) return std::nullopt;
        m.out->assign(json_string_value(v), json_string_length(v));
    }
    auto auth_time = store::member_or(j, "auth_time", store::kInstant, 0);
    auto iat = store::member_or(j, "iat", store::kInstant, 0);
    if (!auth_time || !iat) return std::nullopt;
    c.auth_time = *auth_time;
    c.iat = *iat;
    json_t* claims = json_object_get(j, "claims");
    if (claims && !json_is_object(claims)) return std::nullopt;
    c.claims = claims ? json::share(claims) : json::Json(json_object());
    return c;
}

MintedCode mint_code(const flow::ServerConfig& server, const CodeRecord& record) {
    MintedCode m;
    m.code = util::random_token(kCodeBytes);
    int64_t ttl = server.ttl_of(OAUTH_TTL_CODE);
    if (ttl <= 0) ttl = 60;
    store::Keys keys(server.prefix);
    // RFC 6749 §10.5: only a hash is stored; the code itself lives only in
    // the redirect and in the client.
    m.command = {"SET", keys.code(store::secret_key_id(m.code)), serialize(record), "EX",
                 std::to_string(ttl)};
    return m;
}

}  // namespace oauth::authz

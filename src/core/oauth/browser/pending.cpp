#include "oauth/browser/pending.h"

#include "http/form.h"
#include "http/html.h"
#include "store/bounds.h"
#include "store/reply.h"
#include "util/crypto.h"

namespace oauth::authz {

namespace {

std::string str(const json_t* obj, const char* key) {
    auto v = json::get_string(obj, key);
    return v ? std::string(*v) : std::string();
}

// Every member must be a string when present.
bool strings_ok(const json_t* obj, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        json_t* v = json_object_get(obj, k);
        if (v && !json_is_string(v)) return false;
    }
    return true;
}

}  // namespace

std::string serialize(const Pending& p) {
    json::Json o(json_object());
    json_t* j = o.get();
    json::set(j, "kind", p.kind == Pending::Kind::Device ? "device" : "authorize");
    if (p.kind == Pending::Kind::Authorize) {
        json::set(j, "client_id", p.client_id);
        json::set(j, "client_name", p.client_name);
        json::set(j, "redirect_uri", p.redirect_uri);
        json::set(j, "scope", p.scope);
        if (!p.resource.empty()) json::set(j, "resource", p.resource);
        if (p.client_dynamic) {
            json::set_bool(j, "client_dynamic", true);
            json::set(j, "client_uri", p.client_uri);
        }
        json::set(j, "state", p.state);
        json::set(j, "nonce", p.nonce);
        json::set(j, "code_challenge", p.code_challenge);
        json::set(j, "code_challenge_method", p.code_challenge_method);
        json::set(j, "dpop_jkt", p.dpop_jkt);
        json::set_new(j, "prompt_login", json_boolean(p.prompt_login));
        json::set_new(j, "prompt_consent", json_boolean(p.prompt_consent));
        json::set(j, "max_age", p.max_age);
        json::set(j, "login_hint", p.login_hint);
        json::set(j, "stale_sid", p.stale_sid);
        json::set(j, "consent_policy", p.consent_policy);
        json::set(j, "consent_prior", p.consent_prior);
    } else {
        json::set(j, "user_code", p.user_code);
    }
    json::set(j, "iat", p.iat);
    json::set(j, "browser", p.browser);
    if (p.accepted) {
        json::Json a(json_object());
        json::set(a.get(), "sub", p.accepted->sub);
        json::set(a.get(), "username", p.accepted->username);
        if (p.accepted->claims) json::set_copy(a.get(), "claims", p.accepted->claims.get());
        else json::set_new(a.get(), "claims", json_object());
        json::set(a.get(), "auth_time", p.accepted->auth_time);
        json::set(a.get(), "verifier_hash", p.accepted->verifier_hash);
        json::set_new(j, "accepted", a.release());
    }
    return json::dump(j);
}

std::optional<Pending> parse_pending_reply(const redisReply* reply) {
    auto text = store::as_string(reply);
    if (!text) return std::nullopt;
    return parse_pending(*text);
}

std::optional<Pending> parse_pending(std::string_view text) {
    json::Json o = json::parse_object(text, 32);
    if (!o) return std::nullopt;
    const json_t* j = o.get();
    if (!strings_ok(j, {"kind", "client_id", "client_name", "redirect_uri", "scope", "state",
                        "nonce", "code_challenge", "code_challenge_method", "dpop_jkt", "user_code",
                        "browser", "consent_policy", "consent_prior", "stale_sid", "login_hint", "resource",
                        "client_uri"}))
        return std::nullopt;
    Pending p;
    std::string kind = str(j, "kind");
    if (kind == "device") p.kind = Pending::Kind::Device;
    else if (kind == "authorize") p.kind = Pending::Kind::Authorize;
    else return std::nullopt;
    p.client_id = str(j, "client_id");
    p.client_name = str(j, "client_name");
    p.redirect_uri = str(j, "redirect_uri");
    p.scope = str(j, "scope");
    p.resource = str(j, "resource");
    p.client_dynamic = json_is_true(json_object_get(j, "client_dynamic"));
    p.client_uri = str(j, "client_uri");
    p.state = str(j, "state");
    p.nonce = str(j, "nonce");
    p.code_challenge = str(j, "code_challenge");
    p.code_challenge_method = str(j, "code_challenge_method");
    p.dpop_jkt = str(j, "dpop_jkt");
    p.prompt_login = json_is_true(json_object_get(j, "prompt_login"));
    p.prompt_consent = json_is_true(json_object_get(j, "prompt_consent"));
    p.consent_policy = str(j, "consent_policy");
    auto max_age = store::member_or(j, "max_age", store::kMaxAge, -1);
    auto iat = store::member_or(j, "iat", store::kInstant, 0);
    if (!max_age || !iat) return std::nullopt;
    p.max_age = *max_age;
    p.login_hint = str(j, "login_hint");
    p.stale_sid = str(j, "stale_sid");
    p.consent_prior = str(j, "consent_prior");
    p.user_code = str(j, "user_code");
    p.iat = *iat;
    p.browser = str(j, "browser");
    if (p.kind == Pending::Kind::Authorize && (p.client_id.empty() || p.redirect_uri.empty()))
        return std::nullopt;
    if (json_t* a = json_object_get(j, "accepted")) {
        if (!json_is_object(a) || !strings_ok(a, {"sub", "username", "verifier_hash"}))
            return std::nullopt;
        Accepted acc;
        acc.sub = str(a, "sub");
        acc.username = str(a, "username");
        json_t* claims = json_object_get(a, "claims");
        acc.claims = json::share(json_is_object(claims) ? claims : nullptr);
        if (!acc.claims) acc.claims.reset(json_object());
        auto auth_time = store::member_or(a, "auth_time", store::kInstant, 0);
        if (!auth_time) return std::nullopt;
        acc.auth_time = *auth_time;
        acc.verifier_hash = str(a, "verifier_hash");
        if (acc.sub.empty() || acc.verifier_hash.empty()) return std::nullopt;
        p.accepted = std::move(acc);
    }
    return p;
}

std::string new_handle() { return util::random_token(16); }

bool valid_handle(std::string_view h) {
    if (h.size() != 22) return false;
    for (char c : h) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

flow::Command store(const store::Keys& keys, std::string_view handle, const Pending& p) {
    return {"SET", keys.pending(handle), serialize(p), "EX", std::to_string(kPendingTtl)};
}

flow::Command fetch(const store::Keys& keys, std::string_view handle) {
    return {"GET", keys.pending(handle)};
}

flow::Command remove(const store::Keys& keys, std::string_view handle) {
    return {"DEL", keys.pending(handle)};
}

std::string with_query(std::string_view url,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> kv) {
    std::string q = http::build_query(kv);
    std::string out(url);
    if (q.empty()) return out;
    out.push_back(out.find('?') == std::string::npos ? '?' : '&');
    out += q;
    return out;
}

std::string continue_url(const flow::ServerConfig& server, std::string_view handle,
                         const Pending& p) {
    if (p.kind == Pending::Kind::Device) {
        std::string device = server.endpoint_url(OAUTH_EP_DEVICE_VERIFICATION);
        if (device.empty()) return {};
        return with_query(device, {{"user_code", p.user_code}});
    }
    std::string authorize = server.endpoint_url(OAUTH_EP_AUTHORIZE);
    if (authorize.empty()) return {};
    return with_query(authorize, {{"authz", handle}});
}

std::string login_url(const flow::ServerConfig& server, std::string_view handle,
                      std::string_view login_hint) {
    if (server.login_url.empty()) return {};
    return with_query(server.login_url, {{"login_challenge", handle}, {"login_hint", login_hint}});
}

http::Response no_continuation_page() {
    return html::error_page(500, "Sign-in unavailable", "The page to continue to is not configured.");
}

http::Response no_login_page() {
    return html::error_page(500, "Sign-in unavailable", "No login page is configured on this server.");
}

}  // namespace oauth::authz

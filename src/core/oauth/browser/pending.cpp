#include "oauth/browser/pending.h"

#include "http/form.h"
#include "http/html.h"
#include "store/bounds.h"
#include "store/fields.h"
#include "store/reply.h"
#include "util/crypto.h"

namespace oauth::authz {

namespace {

// The record's tables (store/fields.h), in the order they are written: the
// members of an authorize request, of a device page's, of both, and of an
// accepted external login; the kind goes beside them (a name for an enum).
using F = store::Field<Pending>;
const F kAuthorizeFields[] = {
    store::string_field("client_id", &Pending::client_id),
    store::string_field("client_name", &Pending::client_name),
    store::string_field("redirect_uri", &Pending::redirect_uri),
    store::string_field("scope", &Pending::scope),
    store::optional_string_field("resource", &Pending::resource),
    store::bool_field("client_dynamic", &Pending::client_dynamic),
    store::optional_string_field("client_uri", &Pending::client_uri),
    store::string_field("state", &Pending::state),
    store::string_field("nonce", &Pending::nonce),
    store::string_field("code_challenge", &Pending::code_challenge),
    store::string_field("code_challenge_method", &Pending::code_challenge_method),
    store::string_field("dpop_jkt", &Pending::dpop_jkt),
    store::bool_field("prompt_login", &Pending::prompt_login),
    store::bool_field("prompt_consent", &Pending::prompt_consent),
    store::integer_field("max_age", &Pending::max_age, store::kMaxAge, -1),
    store::string_field("login_hint", &Pending::login_hint),
    store::string_field("stale_sid", &Pending::stale_sid),
    store::string_field("consent_policy", &Pending::consent_policy),
    store::string_field("consent_prior", &Pending::consent_prior),
};
const F kDeviceFields[] = {
    store::string_field("user_code", &Pending::user_code),
};
const F kCommonFields[] = {
    store::integer_field("iat", &Pending::iat, store::kInstant),
    store::string_field("browser", &Pending::browser),
};
using A = store::Field<Accepted>;
const A kAcceptedFields[] = {
    store::string_field("sub", &Accepted::sub),
    store::string_field("username", &Accepted::username),
    store::object_field("claims", &Accepted::claims),
    store::integer_field("auth_time", &Accepted::auth_time, store::kInstant),
    store::string_field("verifier_hash", &Accepted::verifier_hash),
};

}  // namespace

std::string serialize(const Pending& p) {
    json::Json o(json_object());
    json_t* j = o.get();
    bool authorize = p.kind == Pending::Kind::Authorize;
    json::set(j, "kind", authorize ? "authorize" : "device");
    if (authorize) store::write_fields<Pending>(j, p, kAuthorizeFields);
    else store::write_fields<Pending>(j, p, kDeviceFields);
    store::write_fields<Pending>(j, p, kCommonFields);
    if (p.accepted) {
        json::Json a(json_object());
        store::write_fields<Accepted>(a.get(), *p.accepted, kAcceptedFields);
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
    Pending p;
    auto kind = json::get_string(j, "kind");
    if (kind == "device") p.kind = Pending::Kind::Device;
    else if (kind == "authorize") p.kind = Pending::Kind::Authorize;
    else return std::nullopt;
    if (!store::read_fields<Pending>(j, p, kAuthorizeFields) ||
        !store::read_fields<Pending>(j, p, kDeviceFields) ||
        !store::read_fields<Pending>(j, p, kCommonFields))
        return std::nullopt;
    if (p.kind == Pending::Kind::Authorize && (p.client_id.empty() || p.redirect_uri.empty()))
        return std::nullopt;
    if (json_t* a = json_object_get(j, "accepted")) {
        Accepted acc;
        if (!json_is_object(a) || !store::read_fields<Accepted>(a, acc, kAcceptedFields) ||
            acc.sub.empty() || acc.verifier_hash.empty())
            return std::nullopt;
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

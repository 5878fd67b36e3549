#include "store/records.h"

#include "store/bounds.h"
#include "store/fields.h"
#include "util/words.h"

#include <algorithm>

namespace oauth::store {

namespace {

json::Json string_array(const std::vector<std::string>& items) {
    json::Json a(json_array());
    for (const auto& s : items) json::append(a.get(), s);
    return a;
}

// Reads an array of strings; nullopt when the member is not one.
std::optional<std::vector<std::string>> get_strings(const json_t* obj, const char* key) {
    json_t* a = json_object_get(obj, key);
    if (!a) return std::vector<std::string>{};
    if (!json_is_array(a)) return std::nullopt;
    std::vector<std::string> out;
    size_t i;
    json_t* v;
    json_array_foreach(a, i, v) {
        if (!json_is_string(v)) return std::nullopt;
        out.emplace_back(json_string_value(v), json_string_length(v));
    }
    return out;
}



std::string str(const json_t* obj, const char* key) {
    auto v = json::get_string(obj, key);
    return v ? std::string(*v) : std::string();
}

}  // namespace

std::string_view consent_name(Consent c) {
    switch (c) {
    case Consent::Always: return "always";
    case Consent::Skip: return "skip";
    case Consent::Once: break;
    }
    return "once";
}

std::optional<Consent> consent_from_name(std::string_view name) {
    if (name == "always") return Consent::Always;
    if (name == "once") return Consent::Once;
    if (name == "skip") return Consent::Skip;
    return std::nullopt;
}

bool Client::allows_grant(std::string_view grant) const {
    return std::find(grant_types.begin(), grant_types.end(), grant) != grant_types.end();
}

bool Client::has_redirect_uri(std::string_view uri) const {
    return std::ranges::find(redirect_uris, uri) != redirect_uris.end();
}

bool Client::has_post_logout_redirect_uri(std::string_view uri) const {
    return std::ranges::find(post_logout_redirect_uris, uri) != post_logout_redirect_uris.end();
}

std::string Client::scope() const {
    std::string out;
    for (const auto& s : scopes) {
        if (!out.empty()) out.push_back(' ');
        out += s;
    }
    return out;
}

json::Json public_view(const Client& c) {
    json::Json o(json_object());
    json::set(o.get(), "client_id", c.id);
    json::set(o.get(), "name", c.name);
    json::set_new(o.get(), "public", json_boolean(c.is_public));
    json::set_new(o.get(), "redirect_uris", string_array(c.redirect_uris).release());
    json::set_new(o.get(), "post_logout_redirect_uris",
                        string_array(c.post_logout_redirect_uris).release());
    json::set_new(o.get(), "grant_types", string_array(c.grant_types).release());
    json::set(o.get(), "scope", c.scope());
    json::set(o.get(), "consent", consent_name(c.consent));
    if (c.dynamic) {
        json::set_bool(o.get(), "dynamic", true);
        json::set(o.get(), "issued_at", c.issued_at);
        json::Json md = json::parse_object(c.metadata.empty() ? "{}" : c.metadata);
        json::set_new(o.get(), "metadata", md ? md.release() : json_object());
    }
    return o;
}

std::string serialize(const Client& c) {
    json::Json o = public_view(c);
    if (!c.is_public) json::set(o.get(), "secret_hash", c.secret_hash);
    if (c.dynamic) json::set(o.get(), "registration_token_hash", c.registration_token_hash);
    return json::dump(o.get());
}

std::optional<Client> parse_client(std::string_view text) {
    json::Json o = json::parse_object(text);
    if (!o) return std::nullopt;
    Client c;
    auto id = json::get_string(o.get(), "client_id");
    if (!id || id->empty()) return std::nullopt;
    c.id = *id;
    c.name = str(o.get(), "name");
    json_t* pub = json_object_get(o.get(), "public");
    c.is_public = json_is_true(pub);
    c.secret_hash = str(o.get(), "secret_hash");
    // A confidential client without a secret could never authenticate; a
    // record like that is corrupt, not "public".
    if (!c.is_public && c.secret_hash.empty()) return std::nullopt;
    auto uris = get_strings(o.get(), "redirect_uris");
    auto grants = get_strings(o.get(), "grant_types");
    if (!uris || !grants) return std::nullopt;
    c.redirect_uris = std::move(*uris);
    c.grant_types = std::move(*grants);
    // Absent from records written before logout existed: none registered.
    if (json_object_get(o.get(), "post_logout_redirect_uris")) {
        auto logout_uris = get_strings(o.get(), "post_logout_redirect_uris");
        if (!logout_uris) return std::nullopt;
        c.post_logout_redirect_uris = std::move(*logout_uris);
    }
    c.scopes = util::word_strings(str(o.get(), "scope"));
    auto consent = consent_from_name(str(o.get(), "consent"));
    c.consent = consent.value_or(Consent::Once);
    if (json_is_true(json_object_get(o.get(), "dynamic"))) {
        c.dynamic = true;
        // A registered client is always asked (SPEC §9), whatever the record says.
        c.consent = Consent::Always;
        json_t* md = json_object_get(o.get(), "metadata");
        c.metadata = json_is_object(md) ? json::dump(md) : std::string("{}");
        auto at = member_or(o.get(), "issued_at", kInstant, 0);
        if (!at) return std::nullopt;
        c.issued_at = *at;
        c.registration_token_hash = str(o.get(), "registration_token_hash");
    }
    return c;
}

namespace {

// The user record's one table (fields.h): sub (not empty) and username must
// be there.
const Field<User> kUserFields[] = {
    required_string_field("sub", &User::sub),
    required_string_field("username", &User::username),
    string_field("password_hash", &User::password_hash),
    object_field("claims", &User::claims),
};

}  // namespace

std::string serialize(const User& u) { return serialize_fields<User>(u, kUserFields); }

std::optional<User> parse_user(std::string_view text) {
    auto u = parse_fields<User>(text, kUserFields);
    if (!u || u->sub.empty()) return std::nullopt;
    return u;
}

std::string serialize(const AccessSession& s) {
    // Leaner sessions (SPEC §7, keys.h): what the token itself carries
    // (scope, iat, exp) is not repeated; sub only when it is not the client.
    json::Json o(json_object());
    json::set(o.get(), "c", s.client_id);
    if (s.sub != s.client_id) json::set(o.get(), "s", s.sub);
    if (!s.family.empty()) json::set(o.get(), "f", s.family);
    return json::dump(o.get());
}

std::optional<AccessSession> parse_access_session(std::string_view text) {
    json::Json o = json::parse_object(text);
    if (!o) return std::nullopt;
    AccessSession s;
    if (json_object_get(o.get(), "c")) {
        s.client_id = str(o.get(), "c");
        s.sub = json_object_get(o.get(), "s") ? str(o.get(), "s") : s.client_id;
        s.family = str(o.get(), "f");
        return s;
    }
    // Written before the compact form.
    s.client_id = str(o.get(), "client_id");
    s.sub = str(o.get(), "sub");
    s.scope = str(o.get(), "scope");
    auto iat = member_or(o.get(), "iat", kInstant, 0);
    auto exp = member_or(o.get(), "exp", kInstant, 0);
    if (!iat || !exp) return std::nullopt;
    s.iat = *iat;
    s.exp = *exp;
    s.family = str(o.get(), "fam");
    return s;
}

}  // namespace oauth::store

#include "oauth/clients/client_metadata.h"

#include <algorithm>
#include <array>
#include <optional>

#include "oauth/scopes/scope_string.h"
#include "oauth/scopes/known_scopes.h"
#include "require/claims.h"
#include "store/records.h"

namespace oauth::registration {

namespace {

using namespace std::string_view_literals;

constexpr size_t kMaxUri = 2000;
constexpr size_t kMaxText = 200;
constexpr size_t kMaxRedirectUris = 10;
constexpr size_t kMaxContacts = 10;

constexpr std::array kTextMembers = {"client_name"sv, "software_id"sv, "software_version"sv};
constexpr std::array kUriMembers = {"client_uri"sv, "logo_uri"sv, "tos_uri"sv, "policy_uri"sv};
constexpr std::array kAuthMethods = {"none"sv, "client_secret_basic"sv, "client_secret_post"sv};

std::unexpected<Refusal> refuse(Error e, std::string description) {
    return std::unexpected(Refusal{e, std::move(description)});
}

std::unexpected<Refusal> bad_metadata(std::string description) {
    return refuse(Error::InvalidClientMetadata, std::move(description));
}

struct Url {
    std::string_view scheme;
    std::string_view host;  // without port; [v6] keeps its brackets
};

// An absolute http(s) URL without fragment, userinfo or control characters.
std::optional<Url> parse_http_url(std::string_view uri) {
    if (uri.empty() || uri.size() > kMaxUri || require::has_control_character(uri)) return std::nullopt;
    if (uri.find_first_of(" #") != std::string_view::npos) return std::nullopt;
    Url u;
    size_t rest;
    if (uri.starts_with("https://")) u.scheme = "https", rest = 8;
    else if (uri.starts_with("http://")) u.scheme = "http", rest = 7;
    else return std::nullopt;
    std::string_view authority = uri.substr(rest);
    authority = authority.substr(0, authority.find_first_of("/?"));
    if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
    if (authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        u.host = authority.substr(0, close + 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() != ':') return std::nullopt;
    } else {
        u.host = authority.substr(0, authority.find(':'));
    }
    if (u.host.empty()) return std::nullopt;
    return u;
}

bool loopback_host(std::string_view host) {
    // RFC 8252 §7.3 (IP literals) and §8.3 (localhost, NOT RECOMMENDED but
    // what native clients do).
    return host == "127.0.0.1" || host == "[::1]" || host == "localhost";
}

// A member that must be an array of strings; nullopt when absent.
std::expected<std::optional<std::vector<std::string>>, Refusal> strings(const json_t* body, const char* name,
                                                                          Error e) {
    json_t* v = json_object_get(body, name);
    if (!v || json_is_null(v)) return std::nullopt;
    if (!json_is_array(v)) return refuse(e, std::string(name) + " must be an array of strings");
    std::vector<std::string> out;
    size_t i;
    json_t* item;
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) return refuse(e, std::string(name) + " must be an array of strings");
        std::string s(json_string_value(item), json_string_length(item));
        if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    }
    return out;
}

json_t* array_of(const std::vector<std::string>& items) {
    json_t* a = json_array();
    for (const auto& s : items) json::append(a, s);
    return a;
}

bool has(const std::vector<std::string>& v, std::string_view s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

bool valid_redirect_uri(std::string_view uri) {
    auto u = parse_http_url(uri);
    if (!u) return false;
    return u->scheme == "https" || loopback_host(u->host);
}

std::vector<std::string_view> registrable_grants(bool authenticated) {
    std::vector<std::string_view> out{store::kGrantAuthorizationCode, store::kGrantRefreshToken};
    if (authenticated) out.push_back(store::kGrantClientCredentials);
    return out;
}

std::vector<std::string> registrable_scopes(const flow::ServerConfig& server) {
    std::vector<std::string> out;
    for (std::string_view s : supported_scopes()) out.emplace_back(s);
    for (const auto& r : server.resources)
        for (const auto& s : r.scopes)
            if (!has(out, s)) out.push_back(s);
    return out;
}

std::expected<Metadata, Refusal> validate(const json_t* body, const flow::ServerConfig& server,
                                          bool authenticated) {
    Metadata m;
    m.document = json::Json(json_object());
    json_t* doc = m.document.get();

    // token_endpoint_auth_method: RFC 7591 §2 default client_secret_basic.
    m.auth_method = "client_secret_basic";
    if (json_t* v = json_object_get(body, "token_endpoint_auth_method"); v && !json_is_null(v)) {
        if (!json_is_string(v)) return bad_metadata("token_endpoint_auth_method must be a string");
        std::string_view method(json_string_value(v), json_string_length(v));
        if (std::find(kAuthMethods.begin(), kAuthMethods.end(), method) == kAuthMethods.end())
            return bad_metadata("token_endpoint_auth_method must be none, client_secret_basic or "
                                "client_secret_post");
        m.auth_method = std::string(method);
    }

    // grant_types: RFC 7591 §2 default authorization_code.
    auto grants = strings(body, "grant_types", Error::InvalidClientMetadata);
    if (!grants) return std::unexpected(grants.error());
    m.grant_types = grants->value_or(std::vector<std::string>{std::string(store::kGrantAuthorizationCode)});
    if (m.grant_types.empty()) return bad_metadata("grant_types is empty");
    const std::vector<std::string_view> grant_types = registrable_grants(true);
    for (const auto& g : m.grant_types) {
        if (std::ranges::find(grant_types, g) == grant_types.end())
            return bad_metadata("grant type not available to registered clients: " + g);
        if (g == store::kGrantClientCredentials) {
            if (!authenticated)
                return bad_metadata("client_credentials needs a registration with an initial access token");
            if (m.is_public()) return bad_metadata("client_credentials needs a confidential client");
        }
    }
    bool code_flow = has(m.grant_types, store::kGrantAuthorizationCode);

    // response_types: RFC 7591 §2.1, consistent with grant_types.
    auto responses = strings(body, "response_types", Error::InvalidClientMetadata);
    if (!responses) return std::unexpected(responses.error());
    std::vector<std::string> response_types =
        responses->value_or(code_flow ? std::vector<std::string>{"code"} : std::vector<std::string>{});
    for (const auto& r : response_types)
        if (r != "code") return bad_metadata("only the response type code is supported");
    if (code_flow != has(response_types, "code"))
        return bad_metadata("grant_types and response_types disagree: authorization_code goes "
                            "with code (RFC 7591 section 2.1)");

    // redirect_uris: required for redirect-based flows.
    auto uris = strings(body, "redirect_uris", Error::InvalidRedirectUri);
    if (!uris) return std::unexpected(uris.error());
    m.redirect_uris = uris->value_or(std::vector<std::string>{});
    if (code_flow && m.redirect_uris.empty())
        return refuse(Error::InvalidRedirectUri, "redirect_uris is required with authorization_code");
    if (m.redirect_uris.size() > kMaxRedirectUris)
        return refuse(Error::InvalidRedirectUri, "too many redirect_uris");
    for (const auto& u : m.redirect_uris)
        if (!valid_redirect_uri(u))
            return refuse(Error::InvalidRedirectUri,
                          "a redirect URI must be an absolute https URI without fragment, or http "
                          "on a loopback host");

    // scope: registrable scopes only; none registers all of them.
    std::vector<std::string> registrable = registrable_scopes(server);
    if (json_t* v = json_object_get(body, "scope"); v && !json_is_null(v)) {
        if (!json_is_string(v)) return bad_metadata("scope must be a string");
        auto parsed = scope::parse(std::string_view(json_string_value(v), json_string_length(v)));
        if (!parsed) return bad_metadata("malformed scope");
        for (const auto& s : *parsed) {
            if (s.starts_with("oauth:")) return bad_metadata("scope " + s + " cannot be registered");
            if (!has(registrable, s)) return bad_metadata("scope " + s + " is not available here");
        }
        m.scopes = std::move(*parsed);
    } else {
        m.scopes = std::move(registrable);
    }

    for (std::string_view name : kTextMembers) {
        json_t* v = json_object_get(body, std::string(name).c_str());
        if (!v || json_is_null(v)) continue;
        if (!json_is_string(v)) return bad_metadata(std::string(name) + " must be a string");
        std::string_view text(json_string_value(v), json_string_length(v));
        if (text.size() > kMaxText || require::has_control_character(text))
            return bad_metadata(std::string(name) + " is too long or holds control characters");
        if (name == "client_name") m.client_name = std::string(text);
        json::set(doc, std::string(name).c_str(), text);
    }
    for (std::string_view name : kUriMembers) {
        json_t* v = json_object_get(body, std::string(name).c_str());
        if (!v || json_is_null(v)) continue;
        if (!json_is_string(v)) return bad_metadata(std::string(name) + " must be a string");
        std::string_view uri(json_string_value(v), json_string_length(v));
        if (!parse_http_url(uri)) return bad_metadata(std::string(name) + " must be an http(s) URL");
        if (name == "client_uri") m.client_uri = std::string(uri);
        json::set(doc, std::string(name).c_str(), uri);
    }
    auto contacts = strings(body, "contacts", Error::InvalidClientMetadata);
    if (!contacts) return std::unexpected(contacts.error());
    if (*contacts) {
        if ((*contacts)->size() > kMaxContacts) return bad_metadata("too many contacts");
        for (const auto& c : **contacts)
            if (c.empty() || c.size() > kMaxText || require::has_control_character(c))
                return bad_metadata("a contact is empty, too long or holds control characters");
        json::set_new(doc, "contacts", array_of(**contacts));
    }

    json::set_new(doc, "redirect_uris", array_of(m.redirect_uris));
    json::set_new(doc, "grant_types", array_of(m.grant_types));
    json::set_new(doc, "response_types", array_of(response_types));
    json::set(doc, "token_endpoint_auth_method", m.auth_method);
    json::set(doc, "scope", scope::join(m.scopes));
    return m;
}

}  // namespace oauth::registration

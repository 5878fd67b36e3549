#include "oauth/grants/grant.h"

#include "oauth/tokens/issue.h"
#include "oauth/tokens/resource.h"
#include "oauth/scopes/scope_string.h"

namespace oauth::token {

// RFC 6749 §4.1, §4.3, §4.4, §6; RFC 8628 §3.4: each grant in its own file.
std::unique_ptr<Grant> make_authorization_code_grant(const GrantContext& ctx);
std::unique_ptr<Grant> make_client_credentials_grant(const GrantContext& ctx);
std::unique_ptr<Grant> make_password_grant(const GrantContext& ctx);
std::unique_ptr<Grant> make_refresh_token_grant(const GrantContext& ctx);
std::unique_ptr<Grant> make_device_code_grant(const GrantContext& ctx);

namespace {

constexpr GrantType kGrants[] = {
    {store::kGrantAuthorizationCode, {}, OAUTH_EP_AUTHORIZE, make_authorization_code_grant},
    {store::kGrantRefreshToken, {}, OAUTH_EP_TOKEN, make_refresh_token_grant},
    {store::kGrantClientCredentials, {}, OAUTH_EP_TOKEN, make_client_credentials_grant},
    {store::kGrantPassword, {}, OAUTH_EP_TOKEN, make_password_grant},
    {store::kGrantDeviceCode, "device_code", OAUTH_EP_DEVICE_AUTHORIZATION, make_device_code_grant},
};

}  // namespace

std::span<const GrantType> grant_types() { return kGrants; }

GrantFactory find_grant(std::string_view grant_type) {
    for (const GrantType& g : kGrants)
        if (g.name == grant_type) return g.factory;
    return nullptr;
}

std::vector<std::string_view> served_grants(const flow::ServerConfig& server) {
    std::vector<std::string_view> out;
    if (!server.has_endpoint(OAUTH_EP_TOKEN)) return out;
    for (const GrantType& g : kGrants)
        if (server.has_endpoint(g.starts_at)) out.push_back(g.name);
    return out;
}

flow::Step Grant::on_redis(flow::Replies) {
    return flow::Step::respond(no_cache(oauth::internal_error()), "unexpected redis step");
}

flow::Step Grant::on_offload() {
    return flow::Step::respond(no_cache(oauth::internal_error()), "unexpected offload step");
}

flow::Step Grant::on_busy() {
    flow::Step s = fail(Error::TemporarilyUnavailable, "too many password checks in progress, retry later",
                        "offload refused: kdf limit reached");
    s.response.header("Retry-After", "1");
    return s;
}

flow::Step fail(Error e, std::string_view description, std::string reason) {
    if (reason.empty()) reason = std::string(error_code(e)) + ": " + std::string(description);
    return flow::Step::respond(no_cache(error_response(e, description)), std::move(reason));
}

flow::Step store_error() {
    return fail(Error::TemporarilyUnavailable, "the session store is unavailable",
                "redis answered an error");
}

std::expected<std::vector<std::string>, flow::Step> requested_scope(
    const http::Form& form, const std::vector<std::string>& allowed) {
    auto granted = scope::requested(form.value("scope"), allowed);
    if (!granted) return std::unexpected(fail(Error::InvalidScope, scope::refusal_text(granted.error())));
    return *granted;
}

std::expected<std::vector<std::string>, flow::Step> requested_resources(
    const http::Form& form, const flow::ServerConfig& server, const std::vector<std::string>& granted) {
    auto asked = resource::requested(form.resources, server);
    if (!asked) return std::unexpected(fail(Error::InvalidTarget, asked.error()));
    auto out = resource::narrowed(*asked, granted);
    if (!out) return std::unexpected(fail(Error::InvalidTarget, out.error()));
    return *out;
}

}  // namespace oauth::token

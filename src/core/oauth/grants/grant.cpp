#include "oauth/grants/grant.h"

#include "oauth/tokens/issue.h"
#include "oauth/tokens/resource.h"
#include "oauth/scopes/scope_string.h"

namespace oauth::token {

flow::Step Grant::on_redis(flow::Replies) {
    return flow::Step::respond(no_cache(flow::internal_error()), "unexpected redis step");
}

flow::Step Grant::on_offload() {
    return flow::Step::respond(no_cache(flow::internal_error()), "unexpected offload step");
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
    const std::string* asked = form.get("scope");
    if (!asked || asked->empty()) return allowed;
    auto parsed = scope::parse(*asked);
    if (!parsed) return std::unexpected(fail(Error::InvalidScope, "malformed scope"));
    if (!scope::subset(*parsed, allowed))
        return std::unexpected(fail(Error::InvalidScope, "scope exceeds what the client may ask for"));
    return *parsed;
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

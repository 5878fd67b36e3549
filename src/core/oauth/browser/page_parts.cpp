#include "oauth/browser/page_parts.h"

#include <vector>

#include "http/html.h"
#include "oauth/scopes/scope_string.h"

namespace oauth::pages {

namespace {

// OIDC Core §5.4 scopes and offline_access (§11); other scopes are shown by
// name only.
std::string_view describe(std::string_view scope) {
    if (scope == "openid") return "Sign you in with your account";
    if (scope == "profile") return "See your name and profile information";
    if (scope == "email") return "See your email address";
    if (scope == "address") return "See your postal address";
    if (scope == "phone") return "See your phone number";
    if (scope == "offline_access") return "Stay connected when you are not using it";
    return {};
}

}  // namespace

std::string form_open(const flow::ServerConfig& server, const flow::Request& request,
                      oauth_endpoint_e endpoint) {
    const std::string& path = server.endpoint_path[endpoint];
    return "<form class=\"oauth-form\" method=\"post\" action=\"" +
           html::escape(path.empty() ? request.path : path) + "\">\n";
}

std::string alert(std::string_view message) {
    if (message.empty()) return {};
    return "<p class=\"oauth-error\" role=\"alert\">" + html::escape(message) + "</p>\n";
}

std::string signed_in_as(const sso::Session& session) {
    const std::string& who = session.username.empty() ? session.sub : session.username;
    return "<p class=\"oauth-user\">Signed in as <strong>" + html::escape(who) + "</strong></p>\n";
}

std::string scope_list(std::string_view scope) {
    auto scopes = scope::parse(scope).value_or(std::vector<std::string>{});
    if (scopes.empty()) return "<p class=\"oauth-scopes-none\">It asks for no particular permission.</p>\n";
    std::string out = "<p>It will be able to:</p>\n<ul class=\"oauth-scopes\">\n";
    for (const auto& s : scopes) {
        std::string_view d = describe(s);
        out += "<li><code class=\"oauth-scope\">" + html::escape(s) + "</code>";
        if (!d.empty()) out += " &mdash; " + html::escape(d);
        out += "</li>\n";
    }
    return out + "</ul>\n";
}

std::string decision_buttons() {
    return "<div class=\"oauth-actions\">"
           "<button type=\"submit\" name=\"decision\" value=\"approve\" class=\"oauth-approve\">Approve</button>"
           "<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"oauth-deny\">Deny</button>"
           "</div>\n";
}

}  // namespace oauth::pages

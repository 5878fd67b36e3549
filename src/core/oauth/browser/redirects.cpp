#include "oauth/browser/redirects.h"

#include "http/html.h"
#include "oauth/browser/pending.h"

namespace oauth::authz {

http::Response error_redirect(const flow::ServerConfig& server, std::string_view redirect_uri,
                              std::string_view state, Error e, std::string_view description,
                              unsigned status) {
    return html::redirect(with_query(redirect_uri, {{"error", error_code(e)},
                                                    {"error_description", description_text(description)},
                                                    {"state", state},
                                                    {"iss", server.issuer}}),
                          status);
}

http::Response code_redirect(const flow::ServerConfig& server, std::string_view redirect_uri,
                             std::string_view code, std::string_view state, unsigned status) {
    return html::redirect(
        with_query(redirect_uri, {{"code", code}, {"state", state}, {"iss", server.issuer}}),
        status);
}

}  // namespace oauth::authz

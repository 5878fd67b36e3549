// The server the browser-flow unit tests run against.
#pragma once
#include <string>

#include "flow/server.h"

namespace browser_test {

// Authorize, login and consent endpoints on `issuer`; no keys.
inline oauth::flow::ServerConfig browser_server(std::string issuer = "https://as.example.com") {
    oauth::flow::ServerConfig c;
    c.issuer = std::move(issuer);
    c.prefix = "p:";
    c.ttl[OAUTH_TTL_CODE] = 60;
    c.ttl[OAUTH_TTL_SESSION] = 3600;
    c.endpoint_path[OAUTH_EP_AUTHORIZE] = "/authorize";
    c.endpoint_path[OAUTH_EP_LOGIN] = "/login";
    c.endpoint_path[OAUTH_EP_CONSENT] = "/consent";
    c.login_url = c.origin() + "/login";
    return c;
}

}  // namespace browser_test

// Which flow serves which endpoint. Each endpoint's factory lives beside its
// flow in src/core/oauth/.
#include "flow/flow.h"
#include "oauth/endpoints/endpoints.h"

namespace oauth::flow {

std::unique_ptr<Flow> make_flow(oauth_endpoint_e endpoint, const ServerConfig& server,
                                Request request) {
    using namespace oauth::endpoints;
    switch (endpoint) {
    case OAUTH_EP_DISCOVERY: return make_discovery(server, std::move(request));
    case OAUTH_EP_JWKS: return make_jwks(server, std::move(request));
    case OAUTH_EP_TOKEN: return make_token(server, std::move(request));
    case OAUTH_EP_INTROSPECT: return make_introspect(server, std::move(request));
    case OAUTH_EP_REVOKE: return make_revoke(server, std::move(request));
    case OAUTH_EP_USERINFO: return make_userinfo(server, std::move(request));
    case OAUTH_EP_DEVICE_AUTHORIZATION: return make_device_authorization(server, std::move(request));
    case OAUTH_EP_DEVICE_VERIFICATION: return make_device_verification(server, std::move(request));
    case OAUTH_EP_AUTHORIZE: return make_authorize(server, std::move(request));
    case OAUTH_EP_LOGIN: return make_login(server, std::move(request));
    case OAUTH_EP_CONSENT: return make_consent(server, std::move(request));
    case OAUTH_EP_LOGIN_ACCEPT: return make_login_accept(server, std::move(request));
    case OAUTH_EP_LOGOUT: return make_logout(server, std::move(request));
    case OAUTH_EP_REGISTRATION: return make_registration(server, std::move(request));
    case OAUTH_EP_RESOURCE_METADATA: return make_resource_metadata(server, std::move(request));
    default: return nullptr;
    }
}

}  // namespace oauth::flow

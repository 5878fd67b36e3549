// oauth_jwks (SPEC §4.2): the JWK Set of RFC 7517 §5 with the public half of
// every configured key, so tokens signed by a retiring key keep verifying.
#include "jose/key.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/endpoints/published.h"

namespace oauth::endpoints {

namespace {

class JwksFlow final : public Flow {
public:
    using Flow::Flow;

    flow::Step start() override {
        if (auto refused = published::refuse_method(request_))
            return flow::Step::respond(std::move(*refused), "jwks: method not allowed");
        json::Json keys(json_array());
        for (const jose::KeyPtr& key : server_.keys)
            json::append_new(keys.get(), key->public_jwk().release());
        json::Json doc(json_object());
        json::set_new(doc.get(), "keys", keys.release());
        return flow::Step::respond(published::document(json::dump(doc.get())));
    }
};

}  // namespace

std::unique_ptr<Flow> make_jwks(const ServerConfig& server, Request request) {
    return std::make_unique<JwksFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints

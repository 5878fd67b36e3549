// oauth_jwks (SPEC §4.2): the JWK Set of RFC 7517 §5 with the public half of
// every configured key, so tokens signed by a retiring key keep verifying.
#include "jose/key.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/endpoints/published.h"

namespace oauth::endpoints {

std::unique_ptr<Flow> make_jwks(const ServerConfig& server, Request request) {
    return published::document_flow(
        server, std::move(request), "jwks",
        [](const ServerConfig& s, const Request&) -> published::Answer {
            json::Json keys(json_array());
            for (const jose::KeyPtr& key : s.keys)
                json::append_new(keys.get(), key->public_jwk().release());
            json::Json doc(json_object());
            json::set_new(doc.get(), "keys", keys.release());
            return json::dump(doc.get());
        });
}

}  // namespace oauth::endpoints

// oauth_resource_metadata (SPEC §9, RFC 9728 §2-§3): the metadata of a
// protected resource named by oauth_resource in this server{}. The resource
// is the one whose RFC 9728 §3.1 URL has the request's path
// (/.well-known/oauth-protected-resource + the resource's path); at the
// location's own path, a server that names a single resource serves that
// one (clients that try the root well-known URL first find it too).
#include "oauth/endpoints/endpoints.h"
#include "http/errors.h"
#include "oauth/endpoints/published.h"
#include "oauth/tokens/resource.h"

namespace oauth::endpoints {

namespace {

const flow::Resource* pick(const ServerConfig& server, std::string_view path) {
    const flow::Resource* only = nullptr;
    size_t in_server = 0;
    for (const flow::Resource& r : server.resources) {
        if (!r.in_server) continue;
        if (resource::metadata_path(r.uri) == path) return &r;
        only = &r;
        in_server++;
    }
    if (in_server == 1 && path == server.endpoint_path[OAUTH_EP_RESOURCE_METADATA]) return only;
    return nullptr;
}

published::Answer metadata(const ServerConfig& server, const Request& request) {
    const flow::Resource* r = pick(server, request.path);
    if (!r) {
        http::Response resp = error_response(Error::InvalidRequest, "no protected resource here");
        resp.status = 404;
        return published::Refusal{std::move(resp), "resource metadata: unknown resource"};
    }
    json::Json doc(json_object());
    json::set(doc.get(), "resource", r->uri);
    json_t* servers = json_array();
    json::append(servers, server.issuer);
    json::set_new(doc.get(), "authorization_servers", servers);
    if (!r->scopes.empty()) {
        json_t* scopes = json_array();
        for (const auto& s : r->scopes) json::append(scopes, s);
        json::set_new(doc.get(), "scopes_supported", scopes);
    }
    json_t* methods = json_array();
    json::append(methods, "header");  // RFC 6750 §2.1 only
    json::set_new(doc.get(), "bearer_methods_supported", methods);
    if (server.has_endpoint(OAUTH_EP_JWKS))
        json::set(doc.get(), "jwks_uri", server.endpoint_url(OAUTH_EP_JWKS));
    return json::dump(doc.get());
}

}  // namespace

std::unique_ptr<Flow> make_resource_metadata(const ServerConfig& server, Request request) {
    return published::document_flow(server, std::move(request), "resource metadata", metadata);
}

}  // namespace oauth::endpoints

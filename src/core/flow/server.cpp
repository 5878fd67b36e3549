#include "flow/server.h"

namespace oauth::flow {

std::string ServerConfig::origin() const {
    auto scheme_end = issuer.find("://");
    if (scheme_end == std::string::npos) return issuer;
    auto path_start = issuer.find('/', scheme_end + 3);
    return path_start == std::string::npos ? issuer : issuer.substr(0, path_start);
}

const Resource* ServerConfig::find_resource(std::string_view uri) const {
    for (const Resource& r : resources)
        if (r.uri == uri) return &r;
    return nullptr;
}

std::string ServerConfig::endpoint_url(oauth_endpoint_e ep) const {
    if (!has_endpoint(ep)) return {};
    return origin() + endpoint_path[ep];
}

}  // namespace oauth::flow

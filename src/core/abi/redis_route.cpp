// The C entry points of store/cluster.h (include/oauth_core.h):
// oauth_redis_route() names each command's slot, oauth_redis_redirect()
// reads a Cluster error. noexcept, and their handlers only write *out.
#include "oauth_core.h"
#include "store/cluster.h"

extern "C" int oauth_redis_route(const char* cmds, size_t len, size_t n,
                                 oauth_redis_route_t* out) noexcept {
    try {
        if (!cmds || !out || n == 0) return -1;
        auto routes = oauth::store::cluster::route_commands(std::string_view(cmds, len), n);
        if (!routes || routes->size() != n) return -1;
        for (size_t i = 0; i < n; ++i)
            out[i] = {(*routes)[i].end, (*routes)[i].slot, (*routes)[i].in_transaction ? 1 : 0};
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" void oauth_redis_redirect(const char* err, size_t len, oauth_redis_redirect_t* out) noexcept {
    if (!out) return;
    *out = {};
    if (!err) return;
    try {
        namespace cl = oauth::store::cluster;
        std::string_view e(err, len);
        cl::Redirect r = cl::classify_error(e);
        switch (r.kind) {
        case cl::ErrorKind::Other: out->kind = OAUTH_REDIS_ERR_OTHER; return;
        case cl::ErrorKind::Moved: out->kind = OAUTH_REDIS_ERR_MOVED; break;
        case cl::ErrorKind::Ask: out->kind = OAUTH_REDIS_ERR_ASK; break;
        case cl::ErrorKind::TryAgain: out->kind = OAUTH_REDIS_ERR_TRYAGAIN; return;
        case cl::ErrorKind::ClusterDown: out->kind = OAUTH_REDIS_ERR_CLUSTERDOWN; return;
        case cl::ErrorKind::ReadOnly: out->kind = OAUTH_REDIS_ERR_READONLY; return;
        }
        out->slot = r.slot;
        out->port = r.port;
        // the host is a piece of the text: after the slot, before ":PORT"
        size_t at = r.host.empty() ? std::string_view::npos : e.find(r.host, e.find(' ', e.find(' ') + 1));
        if (at != std::string_view::npos) out->host = {err + at, r.host.size()};
    } catch (...) {
        *out = {};
    }
}

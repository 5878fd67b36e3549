#include "fuzz_support.h"

#include <cstdio>

namespace fuzz {

namespace {

std::string key_dir() {
    // The Makefile passes the folder; the harnesses run from anywhere.
    const char* dir = std::getenv("OAUTH_FUZZ_KEYS");
    return dir ? dir : "t/fuzz/keys";
}

[[noreturn]] void die(const char* what, const char* detail) {
    std::fprintf(stderr, "fuzz setup: %s: %s\n", what, detail);
    std::abort();
}

}  // namespace

const std::vector<oauth_key_t*>& keys() {
    // Held for the process's life (never destroyed, so LeakSanitizer sees
    // the keys reachable at exit).
    static const std::vector<oauth_key_t*>* loaded = [] {
        auto* out = new std::vector<oauth_key_t*>;
        const std::pair<const char*, const char*> files[] = {
            {"es256.pem", "es"}, {"rs256.pem", "rs"}, {"ed25519.pem", "ed"}};
        for (auto [name, kid] : files) {
            std::string path = key_dir() + "/" + name;
            char err[256];
            oauth_key_t* k = oauth_key_load(path.c_str(), kid, err, sizeof(err));
            if (!k) die(path.c_str(), err);
            out->push_back(k);
        }
        return out;
    }();
    return *loaded;
}

const oauth_server_t* server() {
    static const oauth_server_t* built = [] {
        oauth_server_params_t p{};
        p.issuer = str(kIssuer);
        p.redis_prefix = str("oauth:");
        const int64_t ttl[OAUTH_TTL_COUNT] = {600, 2592000, 60, 28800, 600, 5, 0};
        for (int i = 0; i < OAUTH_TTL_COUNT; i++) p.ttl[i] = ttl[i];
        p.keys = keys().data();
        p.nkeys = keys().size();
        for (int i = 0; i < OAUTH_EP_COUNT; i++) p.endpoint_path[i] = str(kEndpointPath[i]);
        p.login_limit_user = 5;
        p.login_limit_address = 50;
        p.login_limit_window = 60;
        char err[256];
        oauth_server_t* s = oauth_server_new(&p, err, sizeof(err));
        if (!s) die("oauth_server_new", err);
        return s;
    }();
    return built;
}

}  // namespace fuzz

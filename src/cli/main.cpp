// oauthctl: administration of the store shared with the nginx module
// (clients, users, sessions) and signing-key generation. SPEC §6.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "sentinel.h"

namespace {

constexpr const char* kUsage =
    "usage: oauthctl [--redis ADDRESS | --redis-cluster H:P[,H:P...]] [--redis-db N]\n"
    "                [--redis-password P] [--prefix S] COMMAND\n"
    "       oauthctl --redis-sentinel H:P[,H:P...] --redis-master NAME\n"
    "                [--redis-sentinel-password P] [--redis-db N] [--redis-password P] ... COMMAND\n"
    "  client create --id ID [--secret S | --public] [--redirect-uri URI]...\n"
    "                [--post-logout-redirect-uri URI]...\n"
    "                [--grant-types G[,G...]] [--scope \"S ...\"] [--consent always|once|skip]\n"
    "                [--name NAME]\n"
    "  client list | client show ID | client delete ID | client rotate-secret ID\n"
    "  user create --username U --password P [--claim NAME=VALUE]...\n"
    "  user delete U\n"
    "  session revoke (--jti J | --sub S | --client C)\n"
    "  consent list --sub S | consent revoke [--sub S] [--client C]\n"
    "  key generate --alg RS256|ES256|EdDSA --out PATH\n"
    "ADDRESS is host:port (default 127.0.0.1:6379) or unix:PATH; the password may\n"
    "also come from OAUTHCTL_REDIS_PASSWORD, the sentinels' from\n"
    "OAUTHCTL_REDIS_SENTINEL_PASSWORD. With sentinels, the primary is the one they name.\n";

using Command = std::function<void(const oauthctl::Globals&, const std::vector<std::string>&)>;

int run(int argc, char** argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    oauthctl::Globals g;
    if (const char* pw = std::getenv("OAUTHCTL_REDIS_PASSWORD")) g.redis.password = pw;
    if (const char* pw = std::getenv("OAUTHCTL_REDIS_SENTINEL_PASSWORD")) g.redis.sentinel_password = pw;

    size_t i = 0;
    auto value = [&](const std::string& name) -> std::string {
        std::string& w = words[i];
        if (w.size() > name.size() + 2 && w[name.size() + 2] == '=') return w.substr(name.size() + 3);
        if (i + 1 >= words.size()) throw oauthctl::Usage(name + " needs a value");
        return words[++i];
    };
    auto is = [&](const std::string& name) {
        const std::string& w = words[i];
        return w == "--" + name || w.starts_with("--" + name + "=");
    };
    for (; i < words.size() && words[i].starts_with("--"); i++) {
        if (words[i] == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        if (is("redis")) g.redis.address = value("--redis");
        else if (is("redis-db")) {
            std::string v = value("--redis-db");
            char* end = nullptr;
            long db = std::strtol(v.c_str(), &end, 10);
            if (v.empty() || *end || db < 0 || db > 65535) throw oauthctl::Usage("bad --redis-db: " + v);
            g.redis.db = static_cast<int>(db);
        } else if (is("redis-password")) g.redis.password = value("--redis-password");
        else if (is("redis-sentinel")) g.redis.sentinels = oauthctl::parse_sentinels(value("--redis-sentinel"));
        else if (is("redis-master")) g.redis.master = value("--redis-master");
        else if (is("redis-sentinel-password")) g.redis.sentinel_password = value("--redis-sentinel-password");
        else if (is("redis-cluster")) {
            // seeds: any node of the Cluster will do, the map comes from it
            std::string list = value("--redis-cluster");
            size_t at = 0;
            do {
                size_t comma = list.find(',', at);
                std::string seed = list.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
                if (seed.empty() || seed.rfind(':') == std::string::npos || seed.starts_with("unix:"))
                    throw oauthctl::Usage("bad --redis-cluster address: \"" + seed + "\"");
                g.redis.cluster.push_back(seed);
                at = comma == std::string::npos ? std::string::npos : comma + 1;
            } while (at != std::string::npos);
        } else if (is("prefix")) g.prefix = value("--prefix");
        else throw oauthctl::Usage("unknown option " + words[i]);
    }
    if (!g.redis.sentinels.empty() && g.redis.master.empty())
        throw oauthctl::Usage("--redis-sentinel needs --redis-master");
    if (g.redis.sentinels.empty() && !g.redis.master.empty())
        throw oauthctl::Usage("--redis-master needs --redis-sentinel");
    if (!g.redis.sentinels.empty() && !g.redis.cluster.empty())
        throw oauthctl::Usage("--redis-sentinel and --redis-cluster exclude each other");
    if (words.size() - i < 2) throw oauthctl::Usage("missing command");
    std::string cmd = words[i] + " " + words[i + 1];
    std::vector<std::string> rest(words.begin() + static_cast<long>(i) + 2, words.end());

    static const std::map<std::string, Command> commands = {
        {"client create", oauthctl::client_create},
        {"client list", oauthctl::client_list},
        {"client show", oauthctl::client_show},
        {"client delete", oauthctl::client_delete},
        {"client rotate-secret", oauthctl::client_rotate_secret},
        {"user create", oauthctl::user_create},
        {"user delete", oauthctl::user_delete},
        {"session revoke", oauthctl::session_revoke},
        {"consent list", oauthctl::consent_list},
        {"consent revoke", oauthctl::consent_revoke},
        {"key generate", oauthctl::key_generate},
    };
    auto it = commands.find(cmd);
    if (it == commands.end()) throw oauthctl::Usage("unknown command: " + cmd);
    it->second(g, rest);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const oauthctl::Usage& e) {
        std::fprintf(stderr, "oauthctl: %s\n%s", e.what(), kUsage);
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "oauthctl: %s\n", e.what());
        return 1;
    }
}

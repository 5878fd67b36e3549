#include "sentinel.h"

#include <sys/time.h>

#include <charconv>

#include "args.h"

namespace oauthctl {

namespace {

struct ContextFree {
    void operator()(redisContext* c) const noexcept { redisFree(c); }
};
using Context = std::unique_ptr<redisContext, ContextFree>;

// host and port of "H:P" or "[v6]:P"; false when malformed.
bool split(const std::string& address, std::string& host, int& port) {
    size_t colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0) return false;
    host = address.substr(0, colon);
    std::string_view p = std::string_view(address).substr(colon + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || ptr != p.data() + p.size() || port <= 0 || port > 65535) return false;
    if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
    return !host.empty();
}

Reply command(redisContext* c, const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
    }
    return Reply(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
}

// The primary one sentinel names, or an empty string and why not in `why`.
std::string ask(const std::string& sentinel, const RedisOptions& o, std::string& why) {
    std::string host;
    int port = 0;
    split(sentinel, host, port);
    struct timeval tv = {2, 0};
    Context c(redisConnectWithTimeout(host.c_str(), port, tv));
    if (!c || c->err) {
        why = c ? c->errstr : "out of memory";
        return {};
    }
    redisSetTimeout(c.get(), tv);
    if (!o.sentinel_password.empty()) {
        Reply r = command(c.get(), {"AUTH", o.sentinel_password});
        if (!r || r->type == REDIS_REPLY_ERROR) {
            why = r ? "AUTH: " + std::string(r->str, r->len) : c->errstr;
            return {};
        }
    }
    Reply r = command(c.get(), {"SENTINEL", "get-master-addr-by-name", o.master});
    if (!r) {
        why = c->errstr;
        return {};
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
        why = r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len)
                                           : "master " + o.master + " not known";
        return {};
    }
    std::string ip(r->element[0]->str, r->element[0]->len);
    std::string p(r->element[1]->str, r->element[1]->len);
    return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + p;
}

}  // namespace

std::vector<std::string> parse_sentinels(const std::string& list) {
    std::vector<std::string> out;
    size_t start = 0;
    for (;;) {
        size_t comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        std::string host;
        int port = 0;
        if (!split(item, host, port)) throw Usage("bad --redis-sentinel address: \"" + item + "\"");
        out.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::string sentinel_primary(const RedisOptions& o) {
    std::string errors;
    for (const auto& s : o.sentinels) {
        std::string why;
        std::string primary = ask(s, o, why);
        if (!primary.empty()) return primary;
        errors += "; " + s + ": " + why;
    }
    throw Failure("no sentinel named the primary of " + o.master + errors);
}

void require_master(const redisReply* r, const std::string& address) {
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_STRING &&
        std::string_view(r->element[0]->str, r->element[0]->len) == "master")
        return;
    throw Failure("the sentinels named " + address +
                  ", which is not a master (a failover under way?): try again");
}

}  // namespace oauthctl

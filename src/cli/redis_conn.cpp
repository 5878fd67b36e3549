#include "redis_conn.h"

#include "sentinel.h"

#include <sys/time.h>

#include <charconv>

namespace oauthctl {

namespace {

// With sentinels, the address to connect to is the primary they name now.
RedisOptions with_primary(RedisOptions o) {
    if (!o.sentinels.empty()) o.address = sentinel_primary(o);
    return o;
}

}  // namespace

Redis::Redis(const RedisOptions& given) {
    const RedisOptions o = with_primary(given);
    struct timeval tv = {5, 0};
    if (o.address.starts_with("unix:")) {
        ctx_ = redisConnectUnixWithTimeout(o.address.substr(5).c_str(), tv);
    } else {
        size_t colon = o.address.rfind(':');
        std::string host = colon == std::string::npos ? o.address : o.address.substr(0, colon);
        int port = 6379;
        if (colon != std::string::npos) {
            std::string_view p = std::string_view(o.address).substr(colon + 1);
            auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
            if (ec != std::errc() || ptr != p.data() + p.size() || port <= 0 || port > 65535)
                throw Failure("bad --redis address: " + o.address);
        }
        if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
        ctx_ = redisConnectWithTimeout(host.c_str(), port, tv);
    }
    if (!ctx_) throw Failure("cannot allocate a Redis connection");
    if (ctx_->err) throw Failure(std::string("cannot connect to Redis at ") + o.address + ": " + ctx_->errstr);
    redisSetTimeout(ctx_, tv);
    if (!o.password.empty()) run({"AUTH", o.password});
    if (o.db != 0) run({"SELECT", std::to_string(o.db)});
    if (!o.sentinels.empty()) require_master(run({"ROLE"}).get(), o.address);
}

Redis::~Redis() {
    if (ctx_) redisFree(ctx_);
}

Reply Redis::run(const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
    }
    Reply r(static_cast<redisReply*>(
        redisCommandArgv(ctx_, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
    if (!r) throw Failure(std::string("Redis: ") + (ctx_->err ? ctx_->errstr : "no reply"));
    if (r->type == REDIS_REPLY_ERROR) throw Failure("Redis: " + std::string(r->str, r->len));
    return r;
}

}  // namespace oauthctl

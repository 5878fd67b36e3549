#include "redis_conn.h"

#include "sentinel.h"

#include <sys/time.h>

#include <algorithm>
#include <charconv>

#include "store/cluster.h"

namespace oauthctl {

namespace cl = oauth::store::cluster;

redisContext* Redis::connect(const std::string& address) {
    struct timeval tv = {5, 0};
    redisContext* ctx = nullptr;
    if (address.starts_with("unix:")) {
        ctx = redisConnectUnixWithTimeout(address.substr(5).c_str(), tv);
    } else {
        size_t colon = address.rfind(':');
        std::string host = colon == std::string::npos ? address : address.substr(0, colon);
        int port = 6379;
        if (colon != std::string::npos) {
            std::string_view p = std::string_view(address).substr(colon + 1);
            auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
            if (ec != std::errc() || ptr != p.data() + p.size() || port <= 0 || port > 65535)
                throw Failure("bad --redis address: " + address);
        }
        if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
        if (host.empty()) throw Failure("bad --redis address: " + address);
        ctx = redisConnectWithTimeout(host.c_str(), port, tv);
    }
    if (!ctx) throw Failure("cannot allocate a Redis connection");
    if (ctx->err) {
        std::string why = ctx->errstr;
        redisFree(ctx);
        throw Failure("cannot connect to Redis at " + address + ": " + why);
    }
    redisSetTimeout(ctx, tv);
    try {
        if (!options_.password.empty()) send(ctx, {"AUTH", options_.password});
        if (options_.db != 0) send(ctx, {"SELECT", std::to_string(options_.db)});
    } catch (...) {
        redisFree(ctx);
        throw;
    }
    return ctx;
}

Redis::Redis(const RedisOptions& o) : options_(o) {
    if (!o.sentinels.empty()) {
        // With sentinels, the address is the primary they name now.
        options_.address = sentinel_primary(o);
        ctx_ = connect(options_.address);
        require_master(run({"ROLE"}).get(), options_.address);
        return;
    }
    if (o.cluster.empty()) {
        ctx_ = connect(o.address);
        return;
    }
    if (o.db != 0) throw Failure("a Redis Cluster has no --redis-db");
    read_slots();
}

Redis::~Redis() {
    if (ctx_) redisFree(ctx_);
    for (auto& [name, ctx] : nodes_) redisFree(ctx);
}

void Redis::append(redisContext* ctx, const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx, static_cast<int>(argv.size()), ptrs.data(), lens.data()) != REDIS_OK)
        throw Failure(std::string("Redis: ") + (ctx->err ? ctx->errstr : "cannot format a command"));
}

// The next reply, error replies included (the caller decides).
Reply Redis::receive(redisContext* ctx) {
    void* r = nullptr;
    if (redisGetReply(ctx, &r) != REDIS_OK || !r)
        throw Failure(std::string("Redis: ") + (ctx->err ? ctx->errstr : "no reply"));
    return Reply(static_cast<redisReply*>(r));
}

Reply Redis::send(redisContext* ctx, const std::vector<std::string>& argv) {
    append(ctx, argv);
    Reply r = receive(ctx);
    if (r->type == REDIS_REPLY_ERROR) throw Failure("Redis: " + std::string(r->str, r->len));
    return r;
}

redisContext* Redis::node(const std::string& address) {
    auto it = nodes_.find(address);
    if (it != nodes_.end()) return it->second;
    redisContext* ctx = connect(address);
    nodes_.emplace(address, ctx);
    return ctx;
}

// CLUSTER SLOTS from the first seed (or known node) that answers.
void Redis::read_slots() {
    std::vector<std::string> ask = options_.cluster;
    for (const auto& [name, ctx] : nodes_) ask.push_back(name);
    std::string why = "no seed";
    for (const auto& seed : ask) {
        try {
            Reply r = send(node(seed), {"CLUSTER", "SLOTS"});
            if (r->type != REDIS_REPLY_ARRAY) throw Failure("CLUSTER SLOTS: not an array");
            std::vector<std::string> slots(cl::kSlots);
            for (size_t i = 0; i < r->elements; ++i) {
                const redisReply* e = r->element[i];
                if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[2]->type != REDIS_REPLY_ARRAY ||
                    e->element[2]->elements < 2)
                    throw Failure("CLUSTER SLOTS: unexpected entry");
                const redisReply* m = e->element[2];
                std::string host(m->element[0]->str ? m->element[0]->str : "", m->element[0]->len);
                if (host.empty() || host == "?") host = seed.substr(0, seed.rfind(':'));
                if (host.find(':') != std::string::npos && !host.starts_with('[')) host = "[" + host + "]";
                std::string addr = host + ":" + std::to_string(m->element[1]->integer);
                for (long long s = e->element[0]->integer; s <= e->element[1]->integer && s < cl::kSlots; ++s)
                    if (s >= 0) slots[static_cast<size_t>(s)] = addr;
            }
            slots_ = std::move(slots);
            return;
        } catch (const Failure& f) {
            why = f.what();
        }
    }
    throw Failure("no slot map from the Redis Cluster: " + why);
}

std::string Redis::target(const std::vector<std::string>& argv) const {
    auto key = cl::routing_key(argv);
    std::string node = key ? slots_[cl::key_slot(*key)] : options_.cluster.front();
    if (node.empty()) throw Failure("no Redis Cluster node serves this key's slot");
    return node;
}

Reply Redis::run(const std::vector<std::string>& argv) {
    if (ctx_) return send(ctx_, argv);
    std::string target = this->target(argv);
    bool asking = false;
    for (int attempt = 0;; ++attempt) {
        redisContext* ctx = node(target);
        try {
            if (asking) send(ctx, {"ASKING"});
            return send(ctx, argv);
        } catch (const Failure& f) {
            std::string_view text(f.what());
            if (!text.starts_with("Redis: ") || attempt > 0) throw;
            cl::Redirect r = cl::classify_error(text.substr(7));
            if (r.kind != cl::ErrorKind::Moved && r.kind != cl::ErrorKind::Ask) throw;
            std::string host = r.host.empty() ? target.substr(0, target.rfind(':')) : r.host;
            if (host.find(':') != std::string::npos && !host.starts_with('[')) host = "[" + host + "]";
            target = host + ":" + std::to_string(r.port);
            asking = r.kind == cl::ErrorKind::Ask;
            if (r.kind == cl::ErrorKind::Moved) read_slots();
        }
    }
}

std::vector<Reply> Redis::pipeline(const std::vector<std::vector<std::string>>& commands) {
    // In batches, so that a revoke of a million tokens holds neither a
    // million commands in our buffer nor their replies in Redis's.
    constexpr size_t kBatch = 4096;
    std::vector<Reply> replies(commands.size());
    for (size_t from = 0; from < commands.size(); from += kBatch) {
        size_t to = std::min(commands.size(), from + kBatch);
        // Which connection each command goes to: one server, or the node of
        // its slot; each connection answers in the order it was sent.
        std::vector<redisContext*> via(to - from, ctx_);
        for (size_t i = from; i < to; ++i) {
            if (!ctx_) via[i - from] = node(target(commands[i]));
            append(via[i - from], commands[i]);
        }
        for (size_t i = from; i < to; ++i) replies[i] = receive(via[i - from]);
    }
    for (size_t i = 0; i < commands.size(); ++i) {
        if (replies[i]->type != REDIS_REPLY_ERROR) continue;
        std::string text(replies[i]->str, replies[i]->len);
        cl::ErrorKind kind = ctx_ ? cl::ErrorKind::Other : cl::classify_error(text).kind;
        if (kind != cl::ErrorKind::Moved && kind != cl::ErrorKind::Ask) throw Failure("Redis: " + text);
        replies[i] = run(commands[i]);
    }
    return replies;
}

}  // namespace oauthctl

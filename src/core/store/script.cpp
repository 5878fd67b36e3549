#include "store/script.h"

#include <openssl/evp.h>

#include <map>
#include <mutex>
#include <stdexcept>

#include "store/reply.h"
#include "util/encoding.h"

namespace oauth::store {

namespace {

std::mutex registry_mutex;
std::map<std::string, const Script*, std::less<>>& registry() {
    static std::map<std::string, const Script*, std::less<>> r;
    return r;
}

// Redis names scripts by the lowercase hex SHA1 of their source.
std::string sha1_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 failed");
    return util::hex_encode(std::string_view(reinterpret_cast<char*>(md), len));
}

}  // namespace

Script::Script(std::string source) : source_(std::move(source)), sha1_(sha1_hex(source_)) {
    std::lock_guard lock(registry_mutex);
    registry()[sha1_] = this;
}

flow::Command Script::call(const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) const {
    flow::Command cmd;
    cmd.reserve(3 + keys.size() + args.size());
    cmd.push_back("EVALSHA");
    cmd.push_back(sha1_);
    cmd.push_back(std::to_string(keys.size()));
    cmd.insert(cmd.end(), keys.begin(), keys.end());
    cmd.insert(cmd.end(), args.begin(), args.end());
    return cmd;
}

std::optional<flow::Command> as_eval(const flow::Command& cmd) {
    if (cmd.size() < 3 || cmd[0] != "EVALSHA") return std::nullopt;
    std::lock_guard lock(registry_mutex);
    auto it = registry().find(cmd[1]);
    if (it == registry().end()) return std::nullopt;
    flow::Command out = cmd;
    out[0] = "EVAL";
    out[1] = it->second->source();
    return out;
}

flow::Step RedisFlow::offloaded() { return flow::Flow::on_offload(); }

flow::Step RedisFlow::remember(flow::Step s) {
    if (s.kind == flow::Step::Kind::Redis) last_ = s.commands;
    return s;
}

flow::Step RedisFlow::on_redis(flow::Replies replies) {
    bool noscript = false;
    for (const redisReply* r : replies) noscript = noscript || is_noscript(r);
    if (noscript && !retried_) {
        retried_ = true;
        std::vector<flow::Command> again;
        for (const auto& cmd : last_) again.push_back(as_eval(cmd).value_or(cmd));
        return remember(flow::Step::redis(std::move(again)));
    }
    retried_ = false;
    return remember(replied(replies));
}

}  // namespace oauth::store

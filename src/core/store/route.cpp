// route_commands / step_in_one_slot (store/cluster.h): the core names each
// command's slot so the nginx glue never parses a request (its C entry
// points: abi/redis_route.cpp).
#include <hiredis/hiredis.h>

#include <cstring>
#include <memory>

#include "oauth_core.h"
#include "store/cluster.h"

namespace oauth::store::cluster {

namespace {

struct ReaderFree {
    void operator()(redisReader* r) const noexcept { redisReaderFree(r); }
};

size_t digits(size_t v) {
    size_t d = 1;
    while (v >= 10) v /= 10, ++d;
    return d;
}

bool is_word(std::string_view a, std::string_view w) {
    if (a.size() != w.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if ((a[i] | 0x20) != (w[i] | 0x20)) return false;
    return true;
}

// All keys a command touches, for the one-slot rule: a script's declared
// keys; a keyed command's first key (the layout has no multi-key plain
// commands but DEL of one key each).
std::vector<std::string_view> keys_of(const flow::Command& cmd) {
    std::vector<std::string_view> out;
    if (cmd.empty()) return out;
    if (is_word(cmd[0], "eval") || is_word(cmd[0], "evalsha")) {
        size_t n = 0;
        if (cmd.size() >= 3) n = std::strtoul(cmd[2].c_str(), nullptr, 10);
        for (size_t i = 0; i < n && 3 + i < cmd.size(); ++i) out.push_back(cmd[3 + i]);
        return out;
    }
    if (is_word(cmd[0], "del") || is_word(cmd[0], "exists") || is_word(cmd[0], "unlink")) {
        for (size_t i = 1; i < cmd.size(); ++i) out.push_back(cmd[i]);
        return out;
    }
    if (auto k = routing_key(cmd)) out.push_back(*k);
    return out;
}

}  // namespace

std::optional<std::vector<Route>> route_commands(std::string_view resp, size_t n) {
    std::unique_ptr<redisReader, ReaderFree> reader(redisReaderCreate());
    if (!reader) return std::nullopt;
    if (redisReaderFeed(reader.get(), resp.data(), resp.size()) != REDIS_OK) return std::nullopt;
    std::vector<Route> out;
    out.reserve(n);
    size_t at = 0;
    std::optional<size_t> multi;  // index of an open MULTI
    for (size_t i = 0; i < n; ++i) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK || !raw) return std::nullopt;
        std::unique_ptr<redisReply, decltype(&freeReplyObject)> r(static_cast<redisReply*>(raw),
                                                                   freeReplyObject);
        if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) return std::nullopt;
        flow::Command cmd;
        size_t size = 1 + digits(r->elements) + 2;
        for (size_t k = 0; k < r->elements; ++k) {
            const redisReply* e = r->element[k];
            if (!e || e->type != REDIS_REPLY_STRING) return std::nullopt;
            cmd.emplace_back(e->str, e->len);
            size += 1 + digits(e->len) + 2 + e->len + 2;
        }
        at += size;
        if (at > resp.size()) return std::nullopt;
        Route route{.end = at};
        if (auto key = routing_key(cmd); key && !is_word(cmd[0], "multi") && !is_word(cmd[0], "exec"))
            route.slot = key_slot(*key);
        if (is_word(cmd[0], "multi")) {
            if (multi) return std::nullopt;
            multi = i;
        }
        route.in_transaction = multi.has_value();
        out.push_back(route);
        if (multi && route.slot >= 0 && out[*multi].slot < 0) out[*multi].slot = route.slot;
        if (is_word(cmd[0], "exec")) {
            if (!multi) return std::nullopt;
            for (size_t k = *multi; k <= i; ++k) out[k].slot = out[*multi].slot;
            multi.reset();
        }
    }
    // exactly n commands, nothing after them, no open transaction
    if (at != resp.size() || multi) return std::nullopt;
    return out;
}

bool step_in_one_slot(const std::vector<flow::Command>& cmds) {
    std::optional<uint16_t> block;  // the open MULTI block's slot
    bool in_multi = false;
    for (const auto& cmd : cmds) {
        if (cmd.empty()) return false;
        if (is_word(cmd[0], "multi")) { in_multi = true; block.reset(); continue; }
        if (is_word(cmd[0], "exec")) { in_multi = false; continue; }
        std::optional<uint16_t> slot;
        for (std::string_view key : keys_of(cmd)) {
            uint16_t s = key_slot(key);
            if (slot && *slot != s) return false;
            slot = s;
        }
        if (in_multi && slot) {
            if (block && *block != *slot) return false;
            block = slot;
        }
    }
    return !in_multi;
}

}  // namespace oauth::store::cluster

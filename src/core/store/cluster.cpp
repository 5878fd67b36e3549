#include "store/cluster.h"

#include <charconv>

namespace oauth::store::cluster {

uint16_t crc16(std::string_view data) {
    uint16_t crc = 0;
    for (unsigned char c : data) {
        crc ^= static_cast<uint16_t>(c) << 8;
        for (int i = 0; i < 8; ++i)
            crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
    }
    return crc;
}

uint16_t key_slot(std::string_view key) {
    size_t open = key.find('{');
    if (open != std::string_view::npos) {
        size_t close = key.find('}', open + 1);
        if (close != std::string_view::npos && close > open + 1)
            key = key.substr(open + 1, close - open - 1);
    }
    return crc16(key) % kSlots;
}

namespace {

bool is_script(const flow::Command& cmd) {
    if (cmd.empty()) return false;
    std::string_view c = cmd[0];
    auto eq = [&](std::string_view w) {
        if (c.size() != w.size()) return false;
        for (size_t i = 0; i < c.size(); ++i)
            if ((c[i] | 0x20) != (w[i] | 0x20)) return false;
        return true;
    };
    return eq("evalsha") || eq("eval");
}

std::optional<size_t> numkeys(const flow::Command& cmd) {
    if (cmd.size() < 3) return std::nullopt;
    size_t n = 0;
    auto [p, ec] = std::from_chars(cmd[2].data(), cmd[2].data() + cmd[2].size(), n);
    if (ec != std::errc() || p != cmd[2].data() + cmd[2].size() || 3 + n > cmd.size())
        return std::nullopt;
    return n;
}

}  // namespace

std::optional<std::string_view> routing_key(const flow::Command& cmd) {
    if (is_script(cmd)) {
        auto n = numkeys(cmd);
        if (!n || *n == 0) return std::nullopt;
        return std::string_view(cmd[3]);
    }
    if (cmd.size() < 2) return std::nullopt;
    return std::string_view(cmd[1]);
}

bool keys_in_one_slot(const flow::Command& cmd) {
    if (!is_script(cmd)) return true;
    auto n = numkeys(cmd);
    if (!n) return false;
    for (size_t i = 1; i < *n; ++i)
        if (key_slot(cmd[3 + i]) != key_slot(cmd[3])) return false;
    return true;
}

namespace {

std::optional<Redirect> parse_redirect(ErrorKind kind, std::string_view rest) {
    // "SLOT HOST:PORT"
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    std::string_view slot_s = rest.substr(0, sp), addr = rest.substr(sp + 1);
    Redirect r;
    r.kind = kind;
    auto [p, ec] = std::from_chars(slot_s.data(), slot_s.data() + slot_s.size(), r.slot);
    if (ec != std::errc() || p != slot_s.data() + slot_s.size() || r.slot >= kSlots) return std::nullopt;
    size_t colon = addr.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view host = addr.substr(0, colon), port_s = addr.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    auto [q, ec2] = std::from_chars(port_s.data(), port_s.data() + port_s.size(), r.port);
    if (ec2 != std::errc() || q != port_s.data() + port_s.size() || r.port == 0) return std::nullopt;
    r.host = std::string(host);
    return r;
}

}  // namespace

Redirect classify_error(std::string_view e) {
    auto word = [&](std::string_view w) {
        return e.starts_with(w) && (e.size() == w.size() || e[w.size()] == ' ');
    };
    // A redirection needs its slot and address after the word.
    if (e.starts_with("MOVED ")) return parse_redirect(ErrorKind::Moved, e.substr(6)).value_or(Redirect{});
    if (e.starts_with("ASK ")) return parse_redirect(ErrorKind::Ask, e.substr(4)).value_or(Redirect{});
    if (word("TRYAGAIN")) return {.kind = ErrorKind::TryAgain};
    if (word("CLUSTERDOWN")) return {.kind = ErrorKind::ClusterDown};
    if (word("READONLY")) return {.kind = ErrorKind::ReadOnly};
    return {};
}

}  // namespace oauth::store::cluster

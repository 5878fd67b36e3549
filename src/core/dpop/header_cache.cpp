#include "dpop/header_cache.h"

namespace oauth::dpop {

std::optional<CheckedHeader> HeaderCache::find(std::string_view header_part) const {
    std::lock_guard lock(mu_);
    // C++20 heterogeneous lookup needs a transparent hash; a copy of a
    // header part (a few hundred bytes) is cheaper than what it saves.
    auto it = map_.find(std::string(header_part));
    if (it == map_.end()) return std::nullopt;
    return it->second;
}

void HeaderCache::insert(std::string_view header_part, CheckedHeader checked) {
    if (header_part.size() > kMaxHeader) return;
    std::lock_guard lock(mu_);
    if (map_.size() >= kCapacity) map_.clear();
    map_.insert_or_assign(std::string(header_part), std::move(checked));
}

size_t HeaderCache::size() const {
    std::lock_guard lock(mu_);
    return map_.size();
}

void HeaderCache::clear() {
    std::lock_guard lock(mu_);
    map_.clear();
}

HeaderCache& HeaderCache::process() {
    // Never destroyed: a worker's exit must not race a late proof check.
    static HeaderCache* cache = new HeaderCache;
    return *cache;
}

}  // namespace oauth::dpop

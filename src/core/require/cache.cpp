#include "require/cache.h"

namespace oauth::require {

ClaimsPtr TokenCache::find(std::string_view token, int64_t now) {
    Digest d = util::sha256_digest(token);
    std::lock_guard lock(mu_);
    auto it = index_.find(d);
    if (it == index_.end()) return nullptr;
    if (now > it->second->claims->exp) {
        lru_.erase(it->second);
        index_.erase(it);
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->claims;
}

void TokenCache::insert(std::string_view token, ClaimsPtr claims, int64_t now) {
    if (capacity_ == 0 || !claims || now > claims->exp) return;
    Digest d = util::sha256_digest(token);
    std::lock_guard lock(mu_);
    if (auto it = index_.find(d); it != index_.end()) {
        it->second->claims = std::move(claims);
        lru_.splice(lru_.begin(), lru_, it->second);
        return;
    }
    while (lru_.size() >= capacity_) {
        index_.erase(lru_.back().digest);
        lru_.pop_back();
    }
    lru_.push_front(Entry{d, std::move(claims)});
    index_.emplace(lru_.front().digest, lru_.begin());
}

size_t TokenCache::size() const {
    std::lock_guard lock(mu_);
    return lru_.size();
}

void TokenCache::clear() {
    std::lock_guard lock(mu_);
    index_.clear();
    lru_.clear();
}

TokenCache& TokenCache::process() {
    static TokenCache cache;
    return cache;
}

}  // namespace oauth::require

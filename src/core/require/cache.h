// A bounded cache of verified tokens, one per worker process (nginx workers
// are processes; the master never verifies, so each worker starts empty).
//
// It remembers only "these exact bytes carry a valid signature by this key
// and these claims": never a decision. Scope, audience, issuer and times are
// evaluated on every request from the cached claims, and the session is
// asked of Redis every time (DESIGN.md, "The hot path"). Keys are SHA-256 of
// the whole token, so two tokens never share an entry; entries die at the
// token's exp; past the capacity the least recently used one goes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "require/claims.h"
#include "util/crypto.h"

namespace oauth::require {

using ClaimsPtr = std::shared_ptr<const Claims>;

class TokenCache {
public:
    static constexpr size_t kDefaultCapacity = 10000;

    explicit TokenCache(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

    // The entry for this token when it is still before its exp.
    ClaimsPtr find(std::string_view token, int64_t now);
    // Remembers a token whose signature verified; ignored once past exp.
    void insert(std::string_view token, ClaimsPtr claims, int64_t now);
    size_t size() const;
    void clear();

    // The worker's cache.
    static TokenCache& process();

private:
    using Digest = util::Sha256Digest;
    // A digest is uniformly random already: its first word is the bucket.
    struct DigestHash {
        size_t operator()(const Digest& d) const {
            size_t h;
            std::memcpy(&h, d.data(), sizeof(h));
            return h;
        }
    };
    struct Entry {
        Digest digest;
        ClaimsPtr claims;
    };
    using Lru = std::list<Entry>;  // most recently used first

    mutable std::mutex mu_;  // the event loop is one thread; this is cheap insurance
    size_t capacity_;
    Lru lru_;
    std::unordered_map<Digest, Lru::iterator, DigestHash> index_;
};

}  // namespace oauth::require

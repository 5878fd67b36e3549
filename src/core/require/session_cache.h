// The edge session cache (SPEC §8, oauth_session_cache): one per worker
// process, jti -> "its session was alive, and the token is good until exp".
//
// A hit lets oauth_require skip the session's EXISTS. It is safe only while
// Redis tells the worker about every change of a session key (client-side
// caching, require/invalidation.h): the invalidation link empties the cache
// whenever it cannot vouch for that, and the edge uses the cache only while
// the link is ready. The rules kept here:
//   - bounded: at most `capacity` entries, the least recently used goes;
//   - never past exp: an entry is a hit only while now < exp, and a token
//     already at its exp is not remembered;
//   - emptied on demand (clear(): a flush, a lost link, a new Redis);
//   - the classic race of client-side caching: an EXISTS is in flight, the
//     key changes, the invalidation arrives before the EXISTS's reply (they
//     travel on different connections). That reply says "alive" about a
//     session that may be gone, so it must not be remembered. Each miss takes
//     a Ticket before the EXISTS is sent; an invalidation of its jti or a
//     clear() while the ticket is out spoils it, and remember() then does
//     nothing.
// The event loop is one thread; nothing here locks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace oauth::require {

class SessionCache : public std::enable_shared_from_this<SessionCache> {
public:
    // One miss on its way to Redis. Movable, not copyable; dropping it
    // without remember() (the request went away, Redis failed, the session
    // was not alive) just ends the in-flight mark.
    class Ticket {
    public:
        Ticket() = default;
        Ticket(Ticket&& o) noexcept { *this = std::move(o); }
        Ticket& operator=(Ticket&& o) noexcept;
        Ticket(const Ticket&) = delete;
        Ticket& operator=(const Ticket&) = delete;
        ~Ticket() { release(); }
        explicit operator bool() const { return cache_ != nullptr; }
        SessionCache* cache() const { return cache_.get(); }

    private:
        friend class SessionCache;
        void release() noexcept;
        std::shared_ptr<SessionCache> cache_;
        std::string jti_;
        uint64_t generation_ = 0;
    };

    static std::shared_ptr<SessionCache> make(size_t capacity) {
        return std::shared_ptr<SessionCache>(new SessionCache(capacity));
    }

    // A hit: remembered alive and now < exp (moved to the front). An entry
    // found past its exp is dropped.
    bool alive(std::string_view jti, int64_t now);
    // Before sending the EXISTS of a miss.
    Ticket begin(std::string_view jti);
    // The EXISTS said alive: remembered unless the ticket was spoiled, or
    // now >= exp. Consumes the ticket. Returns whether it was remembered.
    bool remember(Ticket& ticket, int64_t exp, int64_t now);
    // Redis says this jti's session key changed.
    void invalidate(std::string_view jti);
    // Forget everything, and spoil every ticket out.
    void clear();

    size_t size() const { return index_.size(); }
    size_t capacity() const { return capacity_; }
    // Tickets out, for tests.
    size_t in_flight() const { return pending_.size(); }

private:
    explicit SessionCache(size_t capacity) : capacity_(capacity) {}

    struct Entry {
        std::string jti;
        int64_t exp;
    };
    using Lru = std::list<Entry>;  // most recently used first
    struct Pending {
        size_t tickets = 0;
        bool spoiled = false;
    };
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct Eq {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const { return a == b; }
    };

    void drop(Lru::iterator it);
    void end_ticket(std::string_view jti, bool spoil_check, bool* spoiled);

    size_t capacity_;
    uint64_t generation_ = 0;  // bumped by clear()
    Lru lru_;
    // Views into the list's strings, which never move.
    std::unordered_map<std::string_view, Lru::iterator, Hash, Eq> index_;
    std::unordered_map<std::string, Pending, Hash, Eq> pending_;
};

}  // namespace oauth::require

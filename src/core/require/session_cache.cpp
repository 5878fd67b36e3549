#include "require/session_cache.h"

namespace oauth::require {

SessionCache::Ticket& SessionCache::Ticket::operator=(Ticket&& o) noexcept {
    if (this != &o) {
        release();
        cache_ = std::move(o.cache_);
        jti_ = std::move(o.jti_);
        generation_ = o.generation_;
        o.cache_.reset();
    }
    return *this;
}

void SessionCache::Ticket::release() noexcept {
    if (!cache_) return;
    cache_->end_ticket(jti_, false, nullptr);
    cache_.reset();
}

bool SessionCache::alive(std::string_view jti, int64_t now) {
    auto it = index_.find(jti);
    if (it == index_.end()) return false;
    Lru::iterator e = it->second;
    if (now >= e->exp) {
        drop(e);
        return false;
    }
    lru_.splice(lru_.begin(), lru_, e);
    return true;
}

SessionCache::Ticket SessionCache::begin(std::string_view jti) {
    Ticket t;
    if (capacity_ == 0) return t;
    auto it = pending_.find(jti);
    if (it == pending_.end()) it = pending_.emplace(std::string(jti), Pending{}).first;
    it->second.tickets++;
    t.cache_ = shared_from_this();
    t.jti_.assign(jti);
    t.generation_ = generation_;
    return t;
}

void SessionCache::end_ticket(std::string_view jti, bool spoil_check, bool* spoiled) {
    auto it = pending_.find(jti);
    if (it == pending_.end()) {
        if (spoiled) *spoiled = true;
        return;
    }
    if (spoil_check && spoiled) *spoiled = it->second.spoiled;
    if (--it->second.tickets == 0) pending_.erase(it);
}

bool SessionCache::remember(Ticket& ticket, int64_t exp, int64_t now) {
    if (!ticket || ticket.cache_.get() != this) return false;
    bool spoiled = false;
    end_ticket(ticket.jti_, true, &spoiled);
    ticket.cache_.reset();
    if (spoiled || ticket.generation_ != generation_ || now >= exp) return false;

    if (auto it = index_.find(std::string_view(ticket.jti_)); it != index_.end()) {
        it->second->exp = exp;
        lru_.splice(lru_.begin(), lru_, it->second);
        return true;
    }
    while (index_.size() >= capacity_) drop(std::prev(lru_.end()));
    lru_.push_front(Entry{std::move(ticket.jti_), exp});
    index_.emplace(std::string_view(lru_.front().jti), lru_.begin());
    return true;
}

void SessionCache::invalidate(std::string_view jti) {
    if (auto it = index_.find(jti); it != index_.end()) drop(it->second);
    if (auto p = pending_.find(jti); p != pending_.end()) p->second.spoiled = true;
}

void SessionCache::clear() {
    index_.clear();
    lru_.clear();
    generation_++;
}

void SessionCache::drop(Lru::iterator it) {
    index_.erase(std::string_view(it->jti));
    lru_.erase(it);
}

}  // namespace oauth::require

// Brute-force limits on passwords (SPEC §11, RFC 6749 §4.3.2 and §10.10):
// failed password checks are counted in Redis per user name and per client
// address, so every nginx sharing the Redis shares the counts. An unknown user
// name counts the same as a known one (no enumeration, and guessing both
// names and passwords is limited alike).
//
// The count is a reservation taken before the KDF, one Lua script per
// counter (the user's, then the address's: two keys of unrelated slots on a
// Redis Cluster, so never one script): a counter at its limit refuses the
// attempt and counts nothing; otherwise it goes up by one, the first one in
// a window starting its TTL. Checking and counting in one atomic step per
// counter is what keeps N parallel attempts from all reading "below the
// limit" (the defect of a read-then-increment): no counter ever lets more
// than its limit through. The address is reserved only once the user's
// reservation is held; when the address refuses, the user's reservation is
// given back before the attempt is answered, so a refused attempt counts
// nothing (password_check.h). A check that succeeds gives its reservations
// back, so the counters hold failures (and checks still running), never
// successes. Fixed windows: a counter lives `window` seconds from its first
// failure.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "store/keys.h"
#include "store/script.h"

namespace oauth::login_limit {

// RESERVE: KEYS counters; ARGV window_ms limit_1 .. limit_n (one per key).
// Reply: {1, 0} counted, go on; {0, ms} refused, the longest remaining life
// of a counter at its limit.
const store::Script& reserve_script();
// RELEASE: KEYS counters; each goes down by one when above zero. Reply: 1.
const store::Script& release_script();

class Attempt {
public:
    Attempt(const flow::LoginLimit& limit, const store::Keys& keys, std::string_view username,
            std::string_view address);

    // How many counters (1, or 2 with the address), and the reservation of
    // counter i (a one-key script: one slot).
    size_t counters() const { return keys_.size(); }
    flow::Command reserve(size_t i) const;
    // The first `counted` reservations back, one command per counter, as
    // EVAL: the commands may reach different Cluster nodes, and a NOSCRIPT
    // from one would re-send the step and give another counter back twice.
    std::vector<flow::Command> release(size_t counted) const;

    struct Verdict {
        bool allowed = false;
        int64_t retry_after = 0;  // seconds, at least 1 when refused
    };
    // nullopt: not a RESERVE reply (fail closed: the caller answers 503).
    static std::optional<Verdict> parse(const redisReply* reply);

private:
    const flow::LoginLimit& limit_;
    std::vector<std::string> keys_;
    std::vector<std::string> limits_;
};

}  // namespace oauth::login_limit

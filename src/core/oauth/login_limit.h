// Brute-force limits on passwords (SPEC §11, RFC 6749 §4.3.2 and §10.10):
// failed password checks are counted in Redis per user name and per client
// address, so every nginx sharing the Redis shares the counts. An unknown user
// name counts the same as a known one (no enumeration, and guessing both
// names and passwords is limited alike).
//
// The count is a reservation taken before the KDF, in one Lua script: if
// either counter has reached its limit the attempt is refused (and counts
// nothing more); otherwise both counters go up by one, the first one in a
// window starting its TTL. Checking and counting in one atomic step is what
// keeps N parallel attempts from all reading "below the limit" (the defect of
// a read-then-increment). A check that succeeds gives its reservation back, so
// the counters hold failures (and checks still running), never successes.
// Fixed windows: a counter lives `window` seconds from its first failure.
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

    flow::Command reserve() const;
    flow::Command release() const;

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

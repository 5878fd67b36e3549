// The polling rules of the device_code grant (RFC 8628 §3.4, §3.5) as a pure
// decision over what Redis holds for the device code, so every rule is
// testable on canned values.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "oauth/device/record.h"
#include "http/errors.h"

namespace oauth::device {

// RFC 8628 §3.5: "the interval MUST be increased by 5 seconds for this and
// all subsequent requests".
inline constexpr int64_t kSlowDownStep = 5;

enum class PollOutcome {
    Pending,      // authorization_pending; store `updated` (last_poll)
    SlowDown,     // slow_down; store `updated` (last_poll, interval + 5)
    Approved,     // consume the record and issue tokens
    Denied,       // access_denied
    Unknown,      // invalid_grant: no record (never issued, or expired long ago)
    Expired,      // expired_token: past exp (the record outlives it)
    Used,         // invalid_grant: tokens were already issued for it
    WrongClient,  // invalid_grant: issued to another client
    Corrupt,      // invalid_grant: unreadable record
};

struct Poll {
    PollOutcome outcome = PollOutcome::Expired;
    std::optional<Record> record;  // parsed (Approved: what to issue from)
    std::string updated;           // Pending/SlowDown: the new value to store
};

// stored: the value of P dc:{hash}, nullopt when the key does not exist.
Poll decide_poll(std::optional<std::string_view> stored, std::string_view client_id,
                 int64_t now);

// The token endpoint's error for an outcome that is not Approved.
Error poll_error(PollOutcome o);
std::string_view poll_description(PollOutcome o);

}  // namespace oauth::device

// The device authorization record (RFC 8628 §3.1-§3.5) kept under
// P dc:{sha256hex(device_code)} as one JSON string
// {"client_id","scope","status":"pending|approved|denied","sub","username",
//  "auth_time","claims":{...},"interval","last_poll","iat","exp"}
// (TTL oauth_device_code_ttl + kExpiredGrace: expiry is the record's exp)
// and P uc:{USERCODE} -> the same hash, with the same TTL. Once the token endpoint has
// issued tokens for it, the value becomes "used:" + family id (CONSUME script,
// store/scripts.h), so a replay is recognised.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "json/json.h"

namespace oauth::device {

enum class Status { Pending, Approved, Denied };
std::string_view status_name(Status s);

struct Record {
    std::string client_id;
    std::string scope;  // granted if approved: space-separated, already checked
    Status status = Status::Pending;
    // Set on approval: who approved, when they signed in, their claims for
    // the ID token (from the SSO session).
    std::string sub;
    std::string username;
    int64_t auth_time = 0;
    json::Json claims;  // object; null until approved
    int64_t interval = 5;   // seconds between polls; grows by 5 on slow_down
    int64_t last_poll = 0;  // 0: never polled
    int64_t iat = 0;
    int64_t exp = 0;
};

std::string serialize(const Record& r);
std::optional<Record> parse_record(std::string_view text);

// Every device key outlives the code's exp by this much: the record, so that
// a code polled after it expired is told expired_token while one never
// issued is invalid_grant (RFC 6749 §5.2, RFC 8628 §3.5); the user code, so
// that one typed just after it expired is "expired", not "not valid".
inline constexpr int64_t kExpiredGrace = 600;

// The consumed form of a record: "used:" + marker.
inline constexpr std::string_view kUsedPrefix = "used:";
inline bool is_used(std::string_view stored) { return stored.starts_with(kUsedPrefix); }

// device_code: 256 random bits, base64url (43 characters).
inline constexpr size_t kDeviceCodeBytes = 32;
std::string new_device_code();
// Whether text has the shape of a device code this server mints (43
// base64url characters): anything else is not worth a Redis lookup.
bool looks_like_device_code(std::string_view text);

}  // namespace oauth::device

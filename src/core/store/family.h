// Reading grant families and refresh tokens (keys.h: P fam:{FID}, P rt:{FID}:HASH)
// through the REFRESH_LOOKUP script (scripts.h).
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "store/keys.h"

namespace oauth::store {

struct Family {
    std::string id;
    std::string client_id;
    std::string sub;
    std::string username;
    std::string scope;   // granted at the original grant
    int64_t iat = 0;     // when the grant happened
    int64_t exp = 0;     // absolute end of the family
    std::optional<int64_t> auth_time;  // when the user signed in, if known
    std::map<std::string, std::string, std::less<>> fields;  // every hash field
};

struct RefreshLookup {
    enum class State { None, Reused, Ok, StoreError };
    State state = State::None;
    Family family;            // Ok: the family; Reused: only id
    int64_t token_iat = 0;    // Ok: when this refresh token was issued
    std::string token_id;     // Ok: its public id ("rid")
};

// EVALSHA REFRESH_LOOKUP for a presented refresh token; nullopt when the
// token names no family (keys.h), so it was never issued here: "none".
std::optional<flow::Command> refresh_lookup(const Keys& keys, std::string_view refresh_token,
                                           bool revoke_on_reuse);
RefreshLookup parse_refresh_lookup(const redisReply* reply);

}  // namespace oauth::store

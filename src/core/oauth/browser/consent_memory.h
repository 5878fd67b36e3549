// Consent policy `once` (SPEC §4.3): the scopes a user approved for a
// client, remembered under P consent:{sub}:{client_id}.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "store/keys.h"

namespace oauth::authz {

// The remembered scopes cover the requested ones.
bool consent_covers(std::string_view remembered, std::string_view requested);
// The remembered scopes after approving `requested` (union, order kept).
std::string consent_union(std::string_view remembered, std::string_view requested);
// SET P consent:{sub}:{client_id} scopes [EX ttl] (oauth_consent_ttl; 0:
// kept until revoked, or until the user or the client goes).
flow::Command remember_consent(const store::Keys& keys, std::string_view sub,
                               std::string_view client_id, std::string_view scopes, int64_t ttl);

}  // namespace oauth::authz

// The session check (SPEC §3): an access token is accepted only while its
// session key lives in Redis, so revocation takes effect on the very next
// request at every nginx sharing that Redis.
#pragma once
#include <hiredis/hiredis.h>

#include <string>
#include <string_view>

#include "require/reason.h"

namespace oauth::require {

// RESP bytes of `EXISTS {prefix}at:{jti}` (store/keys.h), formatted by hiredis.
std::string session_command(std::string_view prefix, std::string_view jti);

// 1 -> Ok; 0 -> Revoked; an error reply, a missing reply or anything else ->
// StoreUnavailable (fail closed: a reply we do not understand is not a yes).
Reason judge_session(const redisReply* reply);

}  // namespace oauth::require

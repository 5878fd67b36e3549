#include "require/session.h"

#include "store/keys.h"
#include "store/reply.h"
#include "store/resp.h"

namespace oauth::require {

std::string session_command(std::string_view prefix, std::string_view jti) {
    std::string key = store::Keys(std::string(prefix)).access(jti);
    std::string out;
    store::append_resp(out, {"EXISTS", key});
    return out;
}

Reason judge_session(const redisReply* reply) {
    auto n = store::as_integer(reply);
    if (!n) return Reason::StoreUnavailable;
    if (*n == 1) return Reason::Ok;
    if (*n == 0) return Reason::Revoked;
    return Reason::StoreUnavailable;
}

}  // namespace oauth::require

#include "require/session.h"

#include <new>

#include "store/keys.h"
#include "store/reply.h"

namespace oauth::require {

std::string session_command(std::string_view prefix, std::string_view jti) {
    std::string key = store::Keys(std::string(prefix)).access(jti);
    const char* argv[] = {"EXISTS", key.data()};
    size_t lens[] = {6, key.size()};
    char* buf = nullptr;
    int n = redisFormatCommandArgv(&buf, 2, argv, lens);
    if (n < 0 || !buf) throw std::bad_alloc();
    std::string out(buf, static_cast<size_t>(n));
    redisFreeCommand(buf);
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

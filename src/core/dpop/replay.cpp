#include "dpop/replay.h"

#include <new>

#include "store/keys.h"
#include "store/reply.h"

namespace oauth::dpop {

std::vector<std::string> replay_argv(std::string_view prefix, const Proof& proof, int64_t leeway) {
    return {"SET", store::Keys(std::string(prefix)).dpop_jti(proof.jkt, proof.jti), "1", "NX", "EX",
            std::to_string(replay_window(leeway))};
}

std::string replay_command(std::string_view prefix, const Proof& proof, int64_t leeway) {
    auto args = replay_argv(prefix, proof, leeway);
    const char* argv[6];
    size_t lens[6];
    for (size_t i = 0; i < 6; i++) {
        argv[i] = args[i].data();
        lens[i] = args[i].size();
    }
    char* buf = nullptr;
    int n = redisFormatCommandArgv(&buf, 6, argv, lens);
    if (n < 0 || !buf) throw std::bad_alloc();
    std::string out(buf, static_cast<size_t>(n));
    redisFreeCommand(buf);
    return out;
}

Replay judge_replay(const redisReply* reply) {
    if (store::is_nil(reply)) return Replay::Replayed;
    auto s = store::as_string(reply);
    if (reply && reply->type == REDIS_REPLY_STATUS && s && *s == "OK") return Replay::Fresh;
    return Replay::StoreError;
}

}  // namespace oauth::dpop

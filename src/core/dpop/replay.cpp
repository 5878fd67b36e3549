#include "dpop/replay.h"

#include "store/keys.h"
#include "store/reply.h"
#include "store/resp.h"

namespace oauth::dpop {

std::vector<std::string> replay_argv(std::string_view prefix, const Proof& proof, int64_t leeway) {
    return {"SET", store::Keys(std::string(prefix)).dpop_jti(proof.jkt, proof.jti), "1", "NX", "EX",
            std::to_string(replay_window(leeway))};
}

std::string replay_command(std::string_view prefix, const Proof& proof, int64_t leeway) {
    std::string out;
    store::append_resp(out, std::span<const std::string>(replay_argv(prefix, proof, leeway)));
    return out;
}

Replay judge_replay(const redisReply* reply) {
    if (store::is_nil(reply)) return Replay::Replayed;
    auto s = store::as_string(reply);
    if (reply && reply->type == REDIS_REPLY_STATUS && s && *s == "OK") return Replay::Fresh;
    return Replay::StoreError;
}

}  // namespace oauth::dpop

// Remembered consent (the client policy `once`): P consent:{sub}:{client_id}
// holds the scopes a user approved for a client (store/keys.h). The module
// only GETs and SETs single keys; finding them by user or by client is an
// operator's question, answered here with SCAN (never on the module's path).
#include "consents.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "args.h"
#include "commands.h"
#include "json/json.h"
#include "store/keys.h"

namespace oauthctl {

namespace {

// Redis glob patterns (SCAN MATCH) treat * ? [ ] \ specially.
std::string glob_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

struct ConsentKey {
    std::string key, sub, client_id;
};

// Every consent key of `sub` and/or `client_id` (nullopt: any). A sub is
// base64url and holds no ':', so the first ':' after "consent:" ends it and
// the rest is the client id, whatever it holds.
std::vector<ConsentKey> find(Redis& redis, const std::string& prefix,
                             const std::optional<std::string>& sub,
                             const std::optional<std::string>& client_id) {
    const std::string head = prefix + "consent:";
    std::string pattern = glob_escape(head) + (sub ? glob_escape(*sub) : "*") + ":" +
                          (client_id ? glob_escape(*client_id) : "*");
    std::vector<ConsentKey> out;
    std::string cursor = "0";
    do {
        Reply r = redis.run({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) throw Failure("unexpected SCAN reply");
        cursor.assign(r->element[0]->str, r->element[0]->len);
        const redisReply* keys = r->element[1];
        for (size_t i = 0; i < keys->elements; i++) {
            std::string key(keys->element[i]->str, keys->element[i]->len);
            std::string rest = key.substr(head.size());
            size_t colon = rest.find(':');
            if (colon == std::string::npos) continue;
            ConsentKey k{key, rest.substr(0, colon), rest.substr(colon + 1)};
            // The pattern's * may have swallowed a ':' of a client id.
            if ((sub && k.sub != *sub) || (client_id && k.client_id != *client_id)) continue;
            out.push_back(std::move(k));
        }
    } while (cursor != "0");
    return out;
}

}  // namespace

int64_t forget_consents(Redis& redis, const std::string& prefix,
                        const std::optional<std::string>& sub,
                        const std::optional<std::string>& client_id) {
    int64_t n = 0;
    for (const auto& k : find(redis, prefix, sub, client_id)) n += redis.run({"DEL", k.key})->integer;
    return n;
}

void consent_list(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {"sub"}, {});
    if (!args.positional().empty()) throw Usage("unexpected argument: " + args.positional().front());
    std::string sub = args.required("sub");
    Redis redis(g.redis);
    oauth::json::Json out(json_array());
    for (const auto& k : find(redis, g.prefix, sub, std::nullopt)) {
        Reply r = redis.run({"GET", k.key});
        if (r->type != REDIS_REPLY_STRING) continue;  // revoked meanwhile
        oauth::json::Json row(json_object());
        oauth::json::set(row.get(), "client_id", k.client_id);
        oauth::json::set(row.get(), "scope", std::string_view(r->str, r->len));
        oauth::json::append_new(out.get(), row.release());
    }
    print(out.get());
}

void consent_revoke(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {"sub", "client"}, {});
    if (!args.positional().empty()) throw Usage("unexpected argument: " + args.positional().front());
    auto sub = args.get("sub"), client = args.get("client");
    if (!sub && !client) throw Usage("consent revoke wants --sub, --client or both");
    Redis redis(g.redis);
    oauth::json::Json out(json_object());
    oauth::json::set(out.get(), "consents_revoked", forget_consents(redis, g.prefix, sub, client));
    print(out.get());
}

}  // namespace oauthctl

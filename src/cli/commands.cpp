#include "commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "args.h"
#include "consents.h"
#include "jose/key.h"
#include "jose/keygen.h"
#include "json/json.h"
#include "oauth/grants/grant.h"
#include "oauth/tokens/issue.h"
#include "oauth/scopes/scope_string.h"
#include "oauth/users/user_claims.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/revoke_all.h"
#include "store/scripts.h"
#include "util/crypto.h"
#include "util/password.h"

namespace oauthctl {

void print(const json_t* j) {
    std::string s = oauth::json::dump(j);
    std::printf("%s\n", s.c_str());
}

namespace {

using oauth::store::Client;
using oauth::store::Keys;

std::string reply_string(const Reply& r) {
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) return std::string(r->str, r->len);
    return {};
}

// Runs a command built by the core; scripts go as EVAL here (one call per
// command, no need for EVALSHA).
Reply run_command(Redis& redis, const oauth::flow::Command& cmd) {
    if (auto eval = oauth::store::as_eval(cmd)) return redis.run(*eval);
    return redis.run(cmd);
}

// Every family (and family-less token, or SSO session) of a client or a
// subject, slot by slot (store/revoke_all.h): the index reads in one round
// trip (a client's are ~350 bucket keys), then the writes in another.
// Answers the families revoked.
int64_t revoke_all(Redis& redis, const Keys& keys, oauth::store::RevokeAllOf of, const std::string& id) {
    oauth::store::RevokeAll plan(keys, of, id, static_cast<int64_t>(std::time(nullptr)));
    auto run_all = [&redis](const std::vector<oauth::flow::Command>& cmds) {
        std::vector<std::vector<std::string>> argvs;
        argvs.reserve(cmds.size());
        for (const auto& cmd : cmds) argvs.push_back(oauth::store::as_eval(cmd).value_or(cmd));
        return redis.pipeline(argvs);
    };
    auto as_replies = [](const std::vector<Reply>& held) {
        std::vector<const redisReply*> out;
        for (const auto& r : held) out.push_back(r.get());
        return out;
    };
    std::vector<Reply> read = run_all(plan.reads());
    auto writes = plan.writes(as_replies(read));
    std::vector<Reply> written = run_all(writes.commands);
    return oauth::store::RevokeAll::families_revoked(writes, as_replies(written));
}

// SPEC §6: --grant-types takes each grant_type value of the grant table, or
// its short alias (device_code for RFC 8628's URN).
std::string grant_wire_name(const std::string& g) {
    for (const auto& grant : oauth::token::grant_types())
        if (g == grant.name || (!grant.alias.empty() && g == grant.alias)) return std::string(grant.name);
    throw Usage("unknown grant type: " + g);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= s.size()) {
        size_t at = s.find(sep, pos);
        if (at == std::string::npos) at = s.size();
        if (at > pos) out.push_back(s.substr(pos, at - pos));
        pos = at + 1;
    }
    return out;
}

std::string only_positional(const Args& args, const char* what) {
    if (args.positional().size() != 1) throw Usage(std::string("expected one ") + what);
    return args.positional().front();
}

Client load_client(Redis& redis, const Keys& keys, const std::string& id) {
    Reply r = redis.run({"GET", keys.client(id)});
    if (r->type != REDIS_REPLY_STRING) throw Failure("no such client: " + id);
    auto c = oauth::store::parse_client(reply_string(r));
    if (!c) throw Failure("unreadable client record: " + id);
    return *c;
}

void print_credentials(const Client& c, const std::string& secret) {
    oauth::json::Json out(json_object());
    oauth::json::set(out.get(), "client_id", c.id);
    if (!c.is_public) oauth::json::set(out.get(), "client_secret", secret);
    print(out.get());
}

std::string new_secret() { return oauth::util::random_token(32); }  // 256 bits

}  // namespace

void client_create(const Globals& g, const std::vector<std::string>& words) {
    Args args(words,
              {"id", "secret", "redirect-uri", "post-logout-redirect-uri", "grant-types", "scope",
               "consent", "name"},
              {"public"});
    if (!args.positional().empty()) throw Usage("unexpected argument: " + args.positional().front());
    Client c;
    c.id = args.required("id");
    c.is_public = args.flag("public");
    auto secret = args.get("secret");
    if (c.is_public && secret) throw Usage("--secret and --public exclude each other");
    if (secret && secret->empty()) throw Usage("--secret must not be empty");
    c.redirect_uris = args.all("redirect-uri");
    c.post_logout_redirect_uris = args.all("post-logout-redirect-uri");
    for (const auto& [option, uris] : {std::pair{"--redirect-uri", &c.redirect_uris},
                                       std::pair{"--post-logout-redirect-uri",
                                                 &c.post_logout_redirect_uris}})
        for (const auto& uri : *uris)
            if (uri.empty() || uri.find('#') != std::string::npos)  // RFC 6749 §3.1.2
                throw Usage(std::string("bad ") + option + ": " + uri);
    if (auto gt = args.get("grant-types")) {
        for (const auto& name : split(*gt, ',')) {
            std::string wire = grant_wire_name(name);
            if (!c.allows_grant(wire)) c.grant_types.push_back(wire);
        }
        if (c.grant_types.empty()) throw Usage("--grant-types is empty");
    } else if (!c.is_public && c.redirect_uris.empty()) {
        c.grant_types = {std::string(oauth::store::kGrantClientCredentials)};
    } else {
        c.grant_types = {std::string(oauth::store::kGrantAuthorizationCode),
                         std::string(oauth::store::kGrantRefreshToken)};
    }
    if (c.is_public && c.allows_grant(oauth::store::kGrantClientCredentials))
        throw Usage("a public client cannot have the client_credentials grant");
    if (auto s = args.get("scope")) {
        auto parsed = oauth::scope::parse(*s);
        if (!parsed) throw Usage("bad --scope: " + *s);
        c.scopes = *parsed;
    }
    if (auto consent = args.get("consent")) {
        auto parsed = oauth::store::consent_from_name(*consent);
        if (!parsed) throw Usage("--consent must be always, once or skip");
        c.consent = *parsed;
    }
    c.name = args.get("name").value_or(c.id);
    std::string plain;
    if (!c.is_public) {
        plain = secret ? *secret : new_secret();
        c.secret_hash = oauth::util::hash_secret(plain, oauth::util::kClientSecretCost);
    }

    Redis redis(g.redis);
    Keys keys(g.prefix);
    Reply r = redis.run({"SET", keys.client(c.id), oauth::store::serialize(c), "NX"});
    if (r->type == REDIS_REPLY_NIL) throw Failure("client already exists: " + c.id);
    redis.run({"SADD", keys.clients(), c.id});
    print_credentials(c, plain);
}

void client_list(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {}, {});
    if (!args.positional().empty()) throw Usage("client list takes no argument");
    Redis redis(g.redis);
    Keys keys(g.prefix);
    Reply ids = redis.run({"SMEMBERS", keys.clients()});
    std::vector<std::string> sorted;
    for (size_t i = 0; i < ids->elements; i++)
        sorted.emplace_back(ids->element[i]->str, ids->element[i]->len);
    std::sort(sorted.begin(), sorted.end());
    oauth::json::Json out(json_array());
    for (const auto& id : sorted) {
        Reply r = redis.run({"GET", keys.client(id)});
        if (r->type != REDIS_REPLY_STRING) continue;  // deleted meanwhile
        auto c = oauth::store::parse_client(reply_string(r));
        if (c) oauth::json::append_new(out.get(), oauth::store::public_view(*c).release());
    }
    print(out.get());
}

void client_show(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {}, {});
    std::string id = only_positional(args, "client id");
    Redis redis(g.redis);
    Client c = load_client(redis, Keys(g.prefix), id);
    print(oauth::store::public_view(c).get());
}

void client_delete(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {}, {});
    std::string id = only_positional(args, "client id");
    Redis redis(g.redis);
    Keys keys(g.prefix);
    Reply r = redis.run({"DEL", keys.client(id)});
    if (r->integer != 1) throw Failure("no such client: " + id);
    redis.run({"SREM", keys.clients(), id});
    // Its tokens die with it, and so do the consents given to it: a client
    // created again under this id must ask again.
    int64_t n = revoke_all(redis, keys, oauth::store::RevokeAllOf::Client, id);
    int64_t consents = forget_consents(redis, g.prefix, std::nullopt, id);
    oauth::json::Json out(json_object());
    oauth::json::set(out.get(), "client_id", id);
    oauth::json::set_new(out.get(), "deleted", json_true());
    oauth::json::set(out.get(), "families_revoked", n);
    oauth::json::set(out.get(), "consents_revoked", consents);
    print(out.get());
}

void client_rotate_secret(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {}, {});
    std::string id = only_positional(args, "client id");
    Redis redis(g.redis);
    Keys keys(g.prefix);
    Client c = load_client(redis, keys, id);
    if (c.is_public) throw Failure("a public client has no secret: " + id);
    std::string plain = new_secret();
    c.secret_hash = oauth::util::hash_secret(plain, oauth::util::kClientSecretCost);
    Reply r = redis.run({"SET", keys.client(c.id), oauth::store::serialize(c), "XX"});
    if (r->type == REDIS_REPLY_NIL) throw Failure("no such client: " + id);
    print_credentials(c, plain);
}

void user_create(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {"username", "password", "claim"}, {});
    if (!args.positional().empty()) throw Usage("unexpected argument: " + args.positional().front());
    oauth::store::User u;
    u.username = args.required("username");
    auto password = args.get("password");
    if (!password || password->empty()) throw Usage("--password is required");
    u.claims = oauth::json::Json(json_object());
    for (const auto& claim : args.all("claim")) {
        size_t eq = claim.find('=');
        if (eq == std::string::npos || eq == 0) throw Usage("--claim wants NAME=VALUE: " + claim);
        std::string name = claim.substr(0, eq), value = claim.substr(eq + 1);
        if (name == "sub") throw Usage("sub is assigned, not a claim to set");
        // JSON values as JSON (email_verified=true, address={...}), the
        // rest as strings (oauth/user_claims.h).
        oauth::json::Json v = oauth::claims::from_text(name, value);
        oauth::json::set_copy(u.claims.get(), name.c_str(), v.get());
    }
    u.password_hash = oauth::util::hash_secret(*password, oauth::util::kPasswordCost);

    Redis redis(g.redis);
    Keys keys(g.prefix);
    // SPEC §3: a sub is random and never reused; claim it before the user.
    for (int attempt = 0;; attempt++) {
        u.sub = oauth::token::new_id();
        Reply r = redis.run({"SET", keys.sub(u.sub), u.username, "NX"});
        if (r->type != REDIS_REPLY_NIL) break;
        if (attempt > 3) throw Failure("cannot allocate a sub");
    }
    Reply r = redis.run({"SET", keys.user(u.username), oauth::store::serialize(u), "NX"});
    if (r->type == REDIS_REPLY_NIL) {
        redis.run({"DEL", keys.sub(u.sub)});
        throw Failure("user already exists: " + u.username);
    }
    oauth::json::Json out(json_object());
    oauth::json::set(out.get(), "sub", u.sub);
    oauth::json::set(out.get(), "username", u.username);
    print(out.get());
}

void user_delete(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {}, {});
    std::string username = only_positional(args, "username");
    Redis redis(g.redis);
    Keys keys(g.prefix);
    Reply r = redis.run({"GET", keys.user(username)});
    if (r->type != REDIS_REPLY_STRING) throw Failure("no such user: " + username);
    auto u = oauth::store::parse_user(reply_string(r));
    redis.run({"DEL", keys.user(username)});
    int64_t revoked = 0;
    if (u) {
        // The sub -> username index goes; the sub itself is never handed out
        // again (random 128 bits).
        redis.run({"DEL", keys.sub(u->sub)});
        revoked = revoke_all(redis, keys, oauth::store::RevokeAllOf::Subject, u->sub);
        forget_consents(redis, g.prefix, u->sub, std::nullopt);
    }
    oauth::json::Json out(json_object());
    oauth::json::set(out.get(), "username", username);
    oauth::json::set_new(out.get(), "deleted", json_true());
    oauth::json::set(out.get(), "families_revoked", revoked);
    print(out.get());
}

void session_revoke(const Globals& g, const std::vector<std::string>& words) {
    Args args(words, {"jti", "sub", "client"}, {});
    if (!args.positional().empty()) throw Usage("unexpected argument: " + args.positional().front());
    auto jti = args.get("jti"), sub = args.get("sub"), client = args.get("client");
    int given = (jti ? 1 : 0) + (sub ? 1 : 0) + (client ? 1 : 0);
    if (given != 1) throw Usage("session revoke wants exactly one of --jti, --sub, --client");
    Redis redis(g.redis);
    Keys keys(g.prefix);
    int64_t families = 0, sessions = 0;
    if (jti) {
        // The token's session and the whole family it descends from.
        Reply r = redis.run({"GET", keys.access(*jti)});
        if (r->type == REDIS_REPLY_STRING) {
            auto s = oauth::store::parse_access_session(reply_string(r));
            if (s && !s->family.empty())
                families = run_command(redis, oauth::store::family_call(
                                                  oauth::store::revoke_family_script(), keys,
                                                  s->family, {}, {""}))->integer;
            sessions = redis.run({"DEL", keys.access(*jti)})->integer + (families ? 1 : 0);
        }
    } else {
        families = revoke_all(redis, keys,
                              sub ? oauth::store::RevokeAllOf::Subject : oauth::store::RevokeAllOf::Client,
                              sub ? *sub : *client);
    }
    oauth::json::Json out(json_object());
    oauth::json::set(out.get(), "families_revoked", families);
    if (jti) oauth::json::set(out.get(), "sessions_revoked", sessions);
    print(out.get());
}

void key_generate(const Globals&, const std::vector<std::string>& words) {
    Args args(words, {"alg", "out"}, {});
    if (!args.positional().empty()) throw Usage("unexpected argument: " + args.positional().front());
    auto alg = oauth::jose::alg_from_name(args.required("alg"));
    if (!alg) throw Usage("--alg must be RS256, ES256 or EdDSA");
    std::string path = args.required("out");
    std::string pem = oauth::jose::generate_private_key_pem(*alg);
    auto key = oauth::jose::Key::from_pem(pem);
    if (!key) throw Failure("generated key does not load: " + key.error());
    // A private key: owner-only, and never clobber an existing file.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) throw Failure("cannot create " + path + ": " + std::strerror(errno));
    size_t off = 0;
    while (off < pem.size()) {
        ssize_t n = ::write(fd, pem.data() + off, pem.size() - off);
        if (n < 0) {
            ::close(fd);
            throw Failure("cannot write " + path + ": " + std::strerror(errno));
        }
        off += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) throw Failure("cannot write " + path + ": " + std::strerror(errno));
    oauth::json::Json out(json_object());
    oauth::json::set(out.get(), "alg", oauth::jose::alg_name(*alg));
    oauth::json::set(out.get(), "kid", (*key)->kid());
    oauth::json::set(out.get(), "out", path);
    print(out.get());
}

}  // namespace oauthctl

// Shared by the token_*/introspect/revoke/grant/userinfo unit tests: servers
// with a generated key, canned hiredis replies, and a driver for flows.
#pragma once
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <deque>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow/flow.h"
#include "http/form.h"
#include "jose/jws.h"
#include "jose/keygen.h"
#include "json/json.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/grants/grant.h"
#include "store/cluster.h"
#include "store/records.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "util/password.h"

namespace token_test {

using oauth::flow::Step;

inline constexpr int64_t kNow = 1'700'000'000;

// scrypt at the cheapest cost, so tests stay fast; the format is the real one.
inline constexpr oauth::util::ScryptCost kTestCost{1, 1, 1};

// An ES256 key "k1", generated once per test binary.
inline const oauth::jose::KeyPtr& signing_key() {
    static oauth::jose::KeyPtr k = *oauth::jose::Key::from_pem(
        oauth::jose::generate_private_key_pem(oauth::jose::Alg::ES256), "k1");
    return k;
}

inline const oauth::flow::ServerConfig& server() {
    static oauth::flow::ServerConfig s = [] {
        oauth::flow::ServerConfig c;
        c.issuer = "https://as.example.com";
        c.audience = "https://api.example.com";
        c.prefix = "p:";
        c.ttl[OAUTH_TTL_ACCESS_TOKEN] = 600;
        c.ttl[OAUTH_TTL_REFRESH_TOKEN] = 86400;
        c.keys.push_back(signing_key());
        c.dpop_nonce_keys = oauth::dpop::derive_nonce_keys(c.keys);
        return c;
    }();
    return s;
}

// The server of the grant and userinfo tests, which drive one grant or flow
// with a server of their own: issuer (and audience) https://auth.example.com,
// prefix "oauth:", access tokens for 600 s, signing_key(). Tests add the
// lifetimes they need.
inline oauth::flow::ServerConfig auth_server() {
    oauth::flow::ServerConfig c;
    c.issuer = "https://auth.example.com";
    c.audience = c.issuer;
    c.prefix = "oauth:";
    c.ttl[OAUTH_TTL_ACCESS_TOKEN] = 600;
    c.keys.push_back(signing_key());
    return c;
}

// A canned reply tree owning its memory.
struct Reply {
    redisReply r{};
    std::string text;
    std::vector<std::unique_ptr<Reply>> kids;
    std::vector<redisReply*> ptrs;
};
using ReplyPtr = std::unique_ptr<Reply>;

inline ReplyPtr text_reply(int type, std::string s) {
    auto p = std::make_unique<Reply>();
    p->text = std::move(s);
    p->r.type = type;
    p->r.str = p->text.data();
    p->r.len = p->text.size();
    return p;
}
inline ReplyPtr str(std::string s) { return text_reply(REDIS_REPLY_STRING, std::move(s)); }
inline ReplyPtr error(std::string s) { return text_reply(REDIS_REPLY_ERROR, std::move(s)); }
inline ReplyPtr nil() {
    auto p = std::make_unique<Reply>();
    p->r.type = REDIS_REPLY_NIL;
    return p;
}
inline ReplyPtr integer(long long n) {
    auto p = std::make_unique<Reply>();
    p->r.type = REDIS_REPLY_INTEGER;
    p->r.integer = n;
    return p;
}
inline ReplyPtr array(std::vector<std::string> items) {
    auto p = std::make_unique<Reply>();
    p->r.type = REDIS_REPLY_ARRAY;
    for (auto& s : items) {
        p->kids.push_back(str(std::move(s)));
        p->ptrs.push_back(&p->kids.back()->r);
    }
    p->r.elements = p->ptrs.size();
    p->r.element = p->ptrs.data();
    return p;
}

// hiredis reply structs built by hand, as the glue would hand them over, kept
// alive (at stable addresses) as long as the arena.
class ReplyArena {
public:
    const redisReply* str(std::string_view s, int type = REDIS_REPLY_STRING) {
        redisReply* r = make(type);
        std::string& kept = text_.emplace_back(s);
        r->str = kept.data();
        r->len = kept.size();
        return r;
    }
    const redisReply* nil() { return make(REDIS_REPLY_NIL); }
    const redisReply* error(std::string_view s) { return str(s, REDIS_REPLY_ERROR); }
    const redisReply* integer(long long v) {
        redisReply* r = make(REDIS_REPLY_INTEGER);
        r->integer = v;
        return r;
    }
    const redisReply* array(std::vector<const redisReply*> items) {
        redisReply* r = make(REDIS_REPLY_ARRAY);
        auto& kept = arrays_.emplace_back();
        for (const redisReply* i : items) kept.push_back(const_cast<redisReply*>(i));
        r->element = kept.data();
        r->elements = kept.size();
        return r;
    }

private:
    redisReply* make(int type) {
        redisReply& r = replies_.emplace_back();
        r = redisReply{};
        r.type = type;
        return &r;
    }
    std::deque<redisReply> replies_;
    std::deque<std::string> text_;
    std::deque<std::vector<redisReply*>> arrays_;
};

// One grant driven alone (no token endpoint around it): the parts of its
// context, for a test to adjust before grant() (a POST at kNow, an
// auth_server() with refresh tokens for a day).
struct GrantTest : ::testing::Test {
    oauth::flow::ServerConfig server = auth_server();
    oauth::flow::Request request;
    oauth::http::Form form;
    oauth::store::Client client;
    oauth::store::Keys keys{"oauth:"};
    ReplyArena r;

    GrantTest() {
        server.ttl[OAUTH_TTL_REFRESH_TOKEN] = 86400;
        request.method = "POST";
        request.now = kNow;
    }

    std::unique_ptr<oauth::token::Grant> make_grant(oauth::token::GrantFactory factory) {
        ctx_.emplace(oauth::token::GrantContext{server, request, form, client, keys});
        return factory(*ctx_);
    }

    // The OAuth error of a response step; "" when there is none.
    static std::string error_of(const Step& s) {
        oauth::json::Json body = oauth::json::parse_object(s.response.body);
        auto e = body ? oauth::json::get_string(body.get(), "error") : std::nullopt;
        return e ? std::string(*e) : "";
    }
    // A response step with this status and OAuth error.
    static void expect_error(const Step& s, unsigned status, std::string_view error) {
        EXPECT_EQ(s.kind, Step::Kind::Respond);
        EXPECT_EQ(s.response.status, status);
        EXPECT_EQ(error_of(s), error);
    }

private:
    std::optional<oauth::token::GrantContext> ctx_;
};

inline oauth::store::Client confidential(std::string id, std::string secret,
                                         std::vector<std::string> grants,
                                         std::vector<std::string> scopes = {"a", "b"}) {
    oauth::store::Client c;
    c.id = std::move(id);
    c.name = c.id;
    c.secret_hash = oauth::util::hash_secret(secret, kTestCost);
    c.grant_types = std::move(grants);
    c.scopes = std::move(scopes);
    return c;
}

inline oauth::store::Client public_client(std::string id, std::vector<std::string> grants) {
    oauth::store::Client c;
    c.id = std::move(id);
    c.is_public = true;
    c.grant_types = std::move(grants);
    c.scopes = {"a", "b"};
    return c;
}

inline std::string basic(std::string_view id, std::string_view secret) {
    return "Basic " + oauth::util::base64_encode(std::string(id) + ":" + std::string(secret));
}

inline oauth::flow::Request post(std::string body, std::string authorization = {}) {
    oauth::flow::Request r;
    r.method = "POST";
    r.path = "/token";
    r.content_type = "application/x-www-form-urlencoded";
    r.body = std::move(body);
    r.authorization = std::move(authorization);
    r.now = kNow;
    return r;
}

// The Redis Cluster rules every step of every flow keeps (SPEC 7): each
// script's keys and each MULTI block in one slot, and at most one EVALSHA
// (a NOSCRIPT from one node re-sends the whole step: a second script, run
// on another node, would run twice).  Checked on every step the Driver sees.
inline void expect_cluster_safe(const Step& step) {
    if (step.kind != Step::Kind::Redis) return;
    EXPECT_TRUE(oauth::store::cluster::step_in_one_slot(step.commands))
        << "a step spans slots: " << step.commands.size() << " commands, first " << step.commands.at(0).at(0);
    size_t evalsha = 0;
    for (const auto& c : step.commands)
        if (!c.empty() && c[0] == "EVALSHA") ++evalsha;
    EXPECT_LE(evalsha, 1u) << "more than one EVALSHA in a step";
}

// Drives a flow: feed replies one step at a time.
struct Driver {
    std::unique_ptr<oauth::flow::Flow> flow;
    Step step;

    // Each step is annotated with its events, as the ABI does.
    Driver(std::unique_ptr<oauth::flow::Flow> f) : flow(std::move(f)) {
        step = flow->start();
        flow->annotate(step);
        expect_cluster_safe(step);
    }

    Step& reply(std::initializer_list<const Reply*> replies) {
        EXPECT_EQ(step.kind, Step::Kind::Redis);
        EXPECT_EQ(step.commands.size(), replies.size());
        std::vector<const redisReply*> rs;
        for (const Reply* r : replies) rs.push_back(&r->r);
        step = flow->on_redis(rs);
        flow->annotate(step);
        expect_cluster_safe(step);
        return step;
    }
    Step& reply(const ReplyPtr& r) { return reply({r.get()}); }
    // The reply to a step that issues tokens (token::Issued::commands): the
    // index commands before the last one answer integers, the last `last`.
    Step& reply_issue(const ReplyPtr& last) {
        EXPECT_EQ(step.kind, Step::Kind::Redis);
        ReplyPtr one = integer(1);
        std::vector<const redisReply*> rs;
        for (size_t i = 0; i + 1 < step.commands.size(); ++i) rs.push_back(&one->r);
        rs.push_back(&last->r);
        step = flow->on_redis(rs);
        flow->annotate(step);
        expect_cluster_safe(step);
        return step;
    }
    // The last command of the last step (an issue step's script or SET).
    const oauth::flow::Command& last_command() const { return step.commands.back(); }
    // Runs the offload, if that is the step, like the glue would.
    Step& offload() {
        EXPECT_EQ(step.kind, Step::Kind::Offload);
        flow->offload();
        step = flow->on_offload();
        flow->annotate(step);
        expect_cluster_safe(step);
        return step;
    }
    Step& settle() {
        if (step.kind == Step::Kind::Offload) offload();
        return step;
    }
    // The last step's first command.
    const oauth::flow::Command& command() const { return step.commands.at(0); }
    oauth::json::Json body() const { return oauth::json::parse_object(step.response.body); }
    std::string header(std::string_view name) const {
        for (const auto& [n, v] : step.response.headers)
            if (n == name) return v;
        return {};
    }
};

inline std::unique_ptr<oauth::flow::Flow> token_flow(oauth::flow::Request r) {
    return oauth::endpoints::make_token(server(), std::move(r));
}

// The OAuth error of a response step.
inline std::string error_of(const Driver& d) {
    auto b = d.body();
    if (!b) return "<no json>";
    return std::string(oauth::json::get_string(b.get(), "error").value_or("<none>"));
}

inline void expect_no_cache(const Driver& d) {
    EXPECT_EQ(d.header("Cache-Control"), "no-store");
    EXPECT_EQ(d.header("Pragma"), "no-cache");
}

// Verified payload of an access token we minted.
inline oauth::json::Json verified_payload(std::string_view token) {
    auto v = oauth::jose::verify_compact(token, server().keys);
    EXPECT_TRUE(v.has_value());
    if (!v) return nullptr;
    EXPECT_EQ(oauth::json::get_string(v->header.get(), "typ").value_or(""), "at+jwt");
    return std::move(v->payload);
}

}  // namespace token_test

// The grants of the token endpoint (RFC 6749 §4.3, §4.4, §6; SPEC §4.1) on
// canned Redis replies: what is asked of Redis, and every answer.
#include <limits>

#include "oauth/users/login_limit.h"
#include "oauth/users/password_check.h"
#include "oauth/scopes/scope_string.h"
#include "store/scripts.h"
#include "token_helpers.h"

using namespace token_test;

namespace {

const std::vector<std::string> kCC = {"client_credentials"};

// Authenticated up to the grant: the client record replied, offload done.
Driver authenticated(const oauth::store::Client& c, std::string body, std::string secret = "s") {
    Driver d(token_flow(post(std::move(body), c.is_public ? "" : basic(c.id, secret))));
    d.reply(str(oauth::store::serialize(c)));
    d.settle();
    return d;
}

// ARGV of an EVALSHA command, after sha, numkeys and the keys.
std::vector<std::string> argv_of(const oauth::flow::Command& cmd) {
    return std::vector<std::string>(cmd.begin() + 3 + std::stoi(cmd.at(2)), cmd.end());
}

TEST(ClientCredentials, IssuesASignedTokenAndItsSession) {
    auto c = confidential("svc", "s", kCC);
    Driver d = authenticated(c, "grant_type=client_credentials&scope=a");
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    // Leaner sessions (SPEC §7): no family, no script. The token's entry in
    // its client's bucket first (revoke by client finds it), then the compact
    // session: three O(1) commands. exp = kNow + 600, a 600 s life has
    // buckets of 128 s: 1'700'000'600 / 128 = 13'281'254, which holds exps
    // up to 13'281'255 x 128 = 1'700'000'640, kept 60 s more.
    ASSERT_EQ(d.step.commands.size(), 3u);
    const auto& index = d.step.commands[0];
    EXPECT_EQ(index[0], "SADD");
    EXPECT_EQ(index[1], "p:idx:ccb:svc:128:13281254");
    EXPECT_EQ(d.step.commands[1],
              (oauth::flow::Command{"EXPIREAT", "p:idx:ccb:svc:128:13281254", "1700000700", "NX"}));
    const auto& set = d.last_command();
    ASSERT_EQ(set.size(), 5u);
    EXPECT_EQ(set[0], "SET");
    EXPECT_EQ(set[2], R"({"c":"svc"})");
    EXPECT_EQ(set[3], "EX");
    EXPECT_EQ(set[4], "600");
    const std::string jti_in_index = index[2];
    const std::string session_key = set[1];
    d.reply_issue(text_reply(REDIS_REPLY_STATUS, "OK"));
    ASSERT_EQ(d.step.kind, Step::Kind::Respond);
    EXPECT_EQ(d.step.response.status, 200u);
    expect_no_cache(d);
    auto body = d.body();
    EXPECT_EQ(oauth::json::get_string(body.get(), "token_type").value_or(""), "Bearer");
    EXPECT_EQ(oauth::json::get_int(body.get(), "expires_in").value_or(0), 600);
    EXPECT_EQ(oauth::json::get_string(body.get(), "scope").value_or(""), "a");
    EXPECT_EQ(json_object_get(body.get(), "refresh_token"), nullptr);  // RFC 6749 §4.4.3
    auto claims = verified_payload(oauth::json::get_string(body.get(), "access_token").value_or(""));
    ASSERT_TRUE(claims);
    EXPECT_EQ(oauth::json::get_string(claims.get(), "sub").value_or(""), "svc");
    EXPECT_EQ(oauth::json::get_string(claims.get(), "client_id").value_or(""), "svc");
    EXPECT_EQ(oauth::json::get_string(claims.get(), "iss").value_or(""), "https://as.example.com");
    EXPECT_EQ(oauth::json::get_string(claims.get(), "aud").value_or(""), "https://api.example.com");
    EXPECT_EQ(oauth::json::get_int(claims.get(), "exp").value_or(0), kNow + 600);
    EXPECT_EQ(oauth::json::get_int(claims.get(), "iat").value_or(0), kNow);
    auto jti = oauth::json::get_string(claims.get(), "jti").value_or("");
    EXPECT_GE(oauth::util::base64url_decode(jti).value_or("").size(), 16u);  // >= 128 bits
    EXPECT_EQ(jti.find('.'), std::string::npos);  // a family-less jti: no tag
    EXPECT_EQ(session_key, "p:at:" + std::string(jti));  // the session is the token's jti
    EXPECT_EQ(jti_in_index, std::string(jti));
}

TEST(ClientCredentials, MissingScopeMeansTheRegisteredOnes) {
    Driver d = authenticated(confidential("svc", "s", kCC, {"x", "y"}), "grant_type=client_credentials");
    d.reply_issue(str("OK"));
    EXPECT_EQ(oauth::json::get_string(d.body().get(), "scope").value_or(""), "x y");
}

TEST(ClientCredentials, WideningIsInvalidScope) {
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials&scope=a+z");
    EXPECT_EQ(d.step.response.status, 400u);
    EXPECT_EQ(error_of(d), "invalid_scope");
}

TEST(ClientCredentials, PublicClientIsUnauthorized) {
    Driver d = authenticated(public_client("pub", kCC), "grant_type=client_credentials&client_id=pub");
    EXPECT_EQ(error_of(d), "unauthorized_client");
    EXPECT_EQ(d.step.response.status, 400u);
}

TEST(ClientCredentials, ClientWithoutTheGrantIsUnauthorized) {
    Driver d = authenticated(confidential("svc", "s", {"password"}), "grant_type=client_credentials");
    EXPECT_EQ(error_of(d), "unauthorized_client");
}

TEST(ClientCredentials, StoreErrorIssuesNothing) {
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials");
    d.reply_issue(error("ERR boom"));
    EXPECT_EQ(d.step.response.status, 503u);
    EXPECT_EQ(d.body().get() ? error_of(d) : "", "temporarily_unavailable");
}

TEST(ClientCredentials, AnIndexErrorIssuesNothingEither) {
    // The session was written but its index entry was not: the token never
    // leaves the server (it could not be revoked by client).
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials");
    auto ok = text_reply(REDIS_REPLY_STATUS, "OK");
    auto boom = error("CLUSTERDOWN The cluster is down");
    auto one = integer(1);
    d.reply({boom.get(), one.get(), ok.get()});
    EXPECT_EQ(d.step.response.status, 503u);
    EXPECT_EQ(error_of(d), "temporarily_unavailable");
}

TEST(Refresh, NoscriptIsResentAsEval) {
    Driver d = authenticated(confidential("app", "s", {"password", "refresh_token"}),
                             "grant_type=refresh_token&refresh_token=fam1.RT1");
    auto first = d.command();
    d.reply(error("NOSCRIPT No matching script. Please use EVAL."));
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.command()[0], "EVAL");
    EXPECT_EQ(d.command()[1], oauth::store::refresh_lookup_script().source());
    EXPECT_EQ(std::vector<std::string>(d.command().begin() + 2, d.command().end()),
              std::vector<std::string>(first.begin() + 2, first.end()));
}

// The RESERVE reply of the brute-force counters (oauth/login_limit.h).
ReplyPtr reserve_reply(long long allowed, long long ms) {
    auto p = std::make_unique<Reply>();
    p->r.type = REDIS_REPLY_ARRAY;
    p->kids.push_back(integer(allowed));
    p->kids.push_back(integer(ms));
    for (auto& k : p->kids) p->ptrs.push_back(&k->r);
    p->r.elements = p->ptrs.size();
    p->r.element = p->ptrs.data();
    return p;
}

// The password check's lookup answered: the user record (or nil) and a
// reservation that counts.
Step& looked_up(Driver& d, const ReplyPtr& user) {
    auto counted = reserve_reply(1, 0);
    return d.reply({user.get(), counted.get()});
}

// A right password gives its reservation back before minting.
Step& released(Driver& d) {
    EXPECT_EQ(d.step.kind, Step::Kind::Redis);
    // as EVAL: a give-back never meets NOSCRIPT (login_limit.h)
    EXPECT_EQ(d.command()[0], "EVAL");
    EXPECT_EQ(d.command()[1], oauth::login_limit::release_script().source());
    return d.reply(integer(1));
}

oauth::store::User alice() {
    oauth::store::User u;
    u.sub = "sub-alice";
    u.username = "alice";
    u.password_hash = oauth::util::hash_secret("wonderland", kTestCost);
    u.claims = oauth::json::Json(json_object());
    return u;
}

TEST(Password, RightPasswordWithRefreshGrant) {
    auto c = confidential("app", "s", {"password", "refresh_token"});
    Driver d = authenticated(c, "grant_type=password&username=alice&password=wonderland&scope=b");
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.command(), (oauth::flow::Command{"GET", "p:user:alice"}));
    looked_up(d, str(oauth::store::serialize(alice())));
    d.offload();
    released(d);
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    auto args = argv_of(d.last_command());
    EXPECT_EQ(args[3], "86400");                // family: the refresh token's absolute life
    EXPECT_EQ(args[7].size(), 64u);             // only the refresh token's hash is stored
    d.reply_issue(str("ok"));
    auto body = d.body();
    auto rt = oauth::json::get_string(body.get(), "refresh_token").value_or("");
    // "FID.SECRET": the family in front (store/keys.h), 256 random bits after.
    ASSERT_NE(rt.find('.'), std::string::npos);
    EXPECT_EQ(d.step.kind, Step::Kind::Respond);
    EXPECT_GE(oauth::util::base64url_decode(rt.substr(rt.find('.') + 1)).value_or("").size(), 32u);
    EXPECT_EQ(args[7], oauth::util::sha256_hex(rt));
    EXPECT_EQ(oauth::json::get_string(body.get(), "scope").value_or(""), "b");
    auto claims = verified_payload(oauth::json::get_string(body.get(), "access_token").value_or(""));
    EXPECT_EQ(oauth::json::get_string(claims.get(), "sub").value_or(""), "sub-alice");
    EXPECT_EQ(oauth::json::get_string(claims.get(), "preferred_username").value_or(""), "alice");
}

TEST(Password, NoRefreshTokenWithoutTheGrant) {
    Driver d = authenticated(confidential("app", "s", {"password"}),
                             "grant_type=password&username=alice&password=wonderland");
    looked_up(d, str(oauth::store::serialize(alice())));
    d.offload();
    released(d);
    d.reply_issue(str("ok"));
    EXPECT_EQ(json_object_get(d.body().get(), "refresh_token"), nullptr);
}

TEST(Password, WrongPasswordOrUnknownUserIsInvalidGrant) {
    auto c = confidential("app", "s", {"password"});
    Driver wrong = authenticated(c, "grant_type=password&username=alice&password=nope");
    looked_up(wrong, str(oauth::store::serialize(alice())));
    wrong.offload();
    EXPECT_EQ(error_of(wrong), "invalid_grant");
    EXPECT_EQ(wrong.step.response.status, 400u);

    Driver unknown = authenticated(c, "grant_type=password&username=bob&password=x");
    looked_up(unknown, nil());
    ASSERT_EQ(unknown.step.kind, Step::Kind::Offload);  // same work as a known user
    unknown.offload();
    EXPECT_EQ(error_of(unknown), "invalid_grant");
}

TEST(Password, MissingCredentialsIsInvalidRequest) {
    Driver d = authenticated(confidential("app", "s", {"password"}), "grant_type=password&username=alice");
    EXPECT_EQ(error_of(d), "invalid_request");
}

// Brute-force limits (SPEC §11): the lookup step reserves one attempt on the
// user name's and the address's counters, in one script, before any KDF.
Driver authenticated_from(const oauth::store::Client& c, std::string body, std::string address) {
    auto r = post(std::move(body), basic(c.id, "s"));
    r.client_address = std::move(address);
    Driver d(token_flow(std::move(r)));
    d.reply(str(oauth::store::serialize(c)));
    d.settle();
    return d;
}

TEST(PasswordLimit, TheLookupReservesOnTheUserAndAddressCounters) {
    Driver d = authenticated_from(confidential("app", "s", {"password"}),
                                  "grant_type=password&username=alice&password=x", "192.0.2.7");
    ASSERT_EQ(d.step.commands.size(), 2u);
    const auto& reserve = d.step.commands[1];
    EXPECT_EQ(reserve[0], "EVALSHA");
    EXPECT_EQ(reserve[1], oauth::login_limit::reserve_script().sha1());
    // the user name only as its hash (it may be a mistyped password)
    EXPECT_EQ(std::vector<std::string>(reserve.begin() + 2, reserve.end()),
              (std::vector<std::string>{"1", "p:limit:user:" + oauth::util::sha256_hex("alice"), "60000", "5"}));
    // held: then the address's, alone in its step (another slot)
    auto user = nil();
    auto counted = reserve_reply(1, 0);
    d.reply({user.get(), counted.get()});
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    ASSERT_EQ(d.step.commands.size(), 1u);
    EXPECT_EQ(std::vector<std::string>(d.command().begin() + 2, d.command().end()),
              (std::vector<std::string>{"1", "p:limit:addr:192.0.2.7", "60000", "50"}));
    d.reply(counted);
    EXPECT_EQ(d.step.kind, Step::Kind::Offload);
}

TEST(PasswordLimit, LimitedIsInvalidGrantWithRetryAfterAndNoKdfEvenForTheRightPassword) {
    Driver d = authenticated(confidential("app", "s", {"password"}),
                             "grant_type=password&username=alice&password=wonderland");
    auto user = str(oauth::store::serialize(alice()));
    auto limited = reserve_reply(0, 41'200);
    d.reply({user.get(), limited.get()});
    ASSERT_EQ(d.step.kind, Step::Kind::Respond);  // no offload: no scrypt
    EXPECT_EQ(d.step.response.status, 400u);
    EXPECT_EQ(error_of(d), "invalid_grant");
    EXPECT_EQ(d.header("Retry-After"), "42");  // rounded up
    auto body = d.body();  // get_string's view lives as long as the body
    auto desc = oauth::json::get_string(body.get(), "error_description").value_or("");
    EXPECT_NE(desc.find("retry in 42 seconds"), std::string::npos) << desc;
    expect_no_cache(d);
}

TEST(PasswordLimit, AWrongPasswordKeepsItsReservation) {
    Driver d = authenticated(confidential("app", "s", {"password"}),
                             "grant_type=password&username=alice&password=nope");
    looked_up(d, str(oauth::store::serialize(alice())));
    d.offload();
    ASSERT_EQ(d.step.kind, Step::Kind::Respond);  // nothing given back: it counts
    EXPECT_EQ(error_of(d), "invalid_grant");
}

TEST(PasswordLimit, AMalformedCounterReplyFailsClosed) {
    std::vector<ReplyPtr> bad_replies;
    bad_replies.push_back(str("OK"));
    bad_replies.push_back(array({"1", "0"}));
    bad_replies.push_back(reserve_reply(7, 0));
    bad_replies.push_back(reserve_reply(0, -5));
    for (const auto& bad : bad_replies) {
        Driver d = authenticated(confidential("app", "s", {"password"}),
                                 "grant_type=password&username=alice&password=wonderland");
        auto user = str(oauth::store::serialize(alice()));
        d.reply({user.get(), bad.get()});
        EXPECT_EQ(error_of(d), "temporarily_unavailable");
        EXPECT_EQ(d.step.response.status, 503u);
    }
}

TEST(PasswordLimit, OversizedFieldsAreWrongWithoutCountOrKdf) {
    Driver d = authenticated(confidential("app", "s", {"password"}),
                             "grant_type=password&username=alice&password=" + std::string(1025, 'x'));
    EXPECT_EQ(error_of(d), "invalid_grant");
}

// The login page's caps (password::kMaxUsername, kMaxPassword): beyond them
// invalid_grant at once, no lookup, no count, no KDF; at them, a lookup.
TEST(PasswordLimit, OversizedUsernameIsWrongBeforeAnyLookup) {
    auto c = confidential("app", "s", {"password"});
    Driver over = authenticated(c, "grant_type=password&password=x&username=" +
                                       std::string(oauth::password::kMaxUsername + 1, 'a'));
    EXPECT_EQ(over.step.kind, Step::Kind::Respond);
    EXPECT_EQ(over.step.response.status, 400u);
    EXPECT_EQ(error_of(over), "invalid_grant");
    Driver at = authenticated(c, "grant_type=password&username=" + std::string(oauth::password::kMaxUsername, 'a') +
                                     "&password=" + std::string(oauth::password::kMaxPassword, 'x'));
    EXPECT_EQ(at.step.kind, Step::Kind::Redis);
}

TEST(PasswordLimit, BusyGivesTheReservationBackAndAnswers503) {
    Driver d = authenticated(confidential("app", "s", {"password"}),
                             "grant_type=password&username=alice&password=wonderland");
    looked_up(d, str(oauth::store::serialize(alice())));
    ASSERT_EQ(d.step.kind, Step::Kind::Offload);
    d.step = d.flow->on_busy();
    released(d);
    EXPECT_EQ(d.step.response.status, 503u);
    EXPECT_EQ(error_of(d), "temporarily_unavailable");
    EXPECT_EQ(d.header("Retry-After"), "1");
    expect_no_cache(d);
}

TEST(PasswordLimit, BusyDuringClientAuthenticationIs503) {
    auto c = confidential("app", "s", {"password"});
    Driver d(token_flow(post("grant_type=password&username=alice&password=x", basic("app", "s"))));
    d.reply(str(oauth::store::serialize(c)));
    ASSERT_EQ(d.step.kind, Step::Kind::Offload);  // the client secret's KDF
    d.step = d.flow->on_busy();
    EXPECT_EQ(d.step.response.status, 503u);
    EXPECT_EQ(error_of(d), "temporarily_unavailable");
}

TEST(PasswordLimit, VerdictParsing) {
    using oauth::login_limit::Attempt;
    auto ok = reserve_reply(1, 0);
    EXPECT_TRUE(Attempt::parse(&ok->r)->allowed);
    auto one_ms = reserve_reply(0, 1);
    EXPECT_EQ(Attempt::parse(&one_ms->r)->retry_after, 1);
    auto huge = reserve_reply(0, std::numeric_limits<long long>::max());
    EXPECT_GT(Attempt::parse(&huge->r)->retry_after, 0);  // bounded, no overflow
    EXPECT_FALSE(Attempt::parse(nullptr));
}

// The counters of one attempt by alice, on its own.
struct PasswordLimitCounters : ::testing::Test {
    oauth::flow::ServerConfig s = server();
    oauth::store::Keys keys{"p:"};
    oauth::login_limit::Attempt attempt(std::string_view address) const {
        return oauth::login_limit::Attempt(s.login_limit, keys, "alice", address);
    }
};

TEST_F(PasswordLimitCounters, NoAddressOrAddressCountingOffCountsTheUserAlone) {
    auto no_address = attempt("");
    EXPECT_EQ(no_address.counters(), 1u);
    EXPECT_EQ(no_address.reserve(0)[2], "1");
    s.login_limit.per_address = 0;
    auto off = attempt("192.0.2.7");
    EXPECT_EQ(off.counters(), 1u);
    EXPECT_EQ(off.release(1).size(), 1u);
    EXPECT_EQ(off.release(1)[0][2], "1");
}

// Two counters, two one-key scripts (one slot each on a Cluster): the
// user's then the address's, each its own limit; given back one by one.
TEST_F(PasswordLimitCounters, EachCounterIsAOneKeyScript) {
    auto a = attempt("192.0.2.7");
    ASSERT_EQ(a.counters(), 2u);
    EXPECT_EQ(a.reserve(0)[2], "1");
    EXPECT_EQ(a.reserve(0)[3], keys.login_failures_user("alice"));
    EXPECT_EQ(a.reserve(0)[5], std::to_string(s.login_limit.per_user));
    EXPECT_EQ(a.reserve(1)[3], keys.login_failures_address("192.0.2.7"));
    EXPECT_EQ(a.reserve(1)[5], std::to_string(s.login_limit.per_address));
    EXPECT_EQ(a.release(0).size(), 0u);
    auto back = a.release(2);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0][3], keys.login_failures_user("alice"));
    EXPECT_EQ(back[1][3], keys.login_failures_address("192.0.2.7"));
}

// Refresh: the lookup reply shapes of REFRESH_LOOKUP.
oauth::flow::Command lookup_of(const std::string& token) {
    std::string fid = token.substr(0, token.find('.'));
    return oauth::store::refresh_lookup_script().call(
        {"p:fam:{" + fid + "}", "p:fam:{" + fid + "}:at", "p:rt:{" + fid + "}:" + oauth::util::sha256_hex(token)},
        {"p:at:{" + fid + "}.", "p:rt:{" + fid + "}:", fid, "1"});
}

ReplyPtr family_reply(std::string client, std::string scope, int64_t exp) {
    return array({"ok", "fam1", R"({"fam":"fam1","iat":1,"rid":"r1"})", "client_id", client,
                  "sub", "sub-alice", "username", "alice", "scope", scope, "iat", "1", "exp",
                  std::to_string(exp), "rt", "h"});
}

const std::vector<std::string> kRefresh = {"password", "refresh_token"};

TEST(Refresh, RotatesAndMayNarrow) {
    auto c = confidential("app", "s", kRefresh);
    Driver d = authenticated(c, "grant_type=refresh_token&refresh_token=fam1.RT1&scope=a");
    EXPECT_EQ(d.command(), lookup_of("fam1.RT1"));  // revoke_on_reuse = 1
    d.reply(family_reply("app", "a b", kNow + 100000));
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.command()[1], oauth::store::rotate_script().sha1());
    auto args = argv_of(d.command());
    EXPECT_EQ(d.command()[3], "p:fam:{fam1}");
    EXPECT_EQ(args[2], oauth::util::sha256_hex("fam1.RT1"));  // compare-and-swap on the old hash
    d.reply(str("ok"));
    auto body = d.body();
    EXPECT_EQ(oauth::json::get_string(body.get(), "scope").value_or(""), "a");
    auto rt = oauth::json::get_string(body.get(), "refresh_token").value_or("");
    EXPECT_NE(rt, "fam1.RT1");
    EXPECT_EQ(rt.substr(0, 5), "fam1.");  // the rotated token names the same family
    EXPECT_EQ(args[3], oauth::util::sha256_hex(rt));
    auto claims = verified_payload(oauth::json::get_string(body.get(), "access_token").value_or(""));
    EXPECT_EQ(oauth::json::get_string(claims.get(), "sub").value_or(""), "sub-alice");
    EXPECT_EQ(oauth::json::get_string(claims.get(), "scope").value_or(""), "a");
}

TEST(Refresh, AccessTokenNeverOutlivesTheFamily) {
    Driver d = authenticated(confidential("app", "s", kRefresh), "grant_type=refresh_token&refresh_token=fam1.RT1");
    d.reply(family_reply("app", "a b", kNow + 42));
    auto args = argv_of(d.command());
    EXPECT_EQ(args[7], "42");
    d.reply(str("ok"));
    EXPECT_EQ(oauth::json::get_int(d.body().get(), "expires_in").value_or(0), 42);
}

TEST(Refresh, WideningIsInvalidScope) {
    Driver d = authenticated(confidential("app", "s", kRefresh), "grant_type=refresh_token&refresh_token=fam1.RT1&scope=a+b");
    d.reply(family_reply("app", "a", kNow + 1000));
    EXPECT_EQ(error_of(d), "invalid_scope");
}

TEST(Refresh, UnknownReusedForeignAndEndedAreInvalidGrant) {
    auto c = confidential("app", "s", kRefresh);
    std::vector<ReplyPtr> replies;
    replies.push_back(array({"none"}));
    replies.push_back(array({"reused", "fam1"}));
    replies.push_back(family_reply("other", "a", kNow + 1000));
    replies.push_back(family_reply("app", "a", kNow));
    for (const auto& r : replies) {
        Driver d = authenticated(c, "grant_type=refresh_token&refresh_token=fam1.RT1");
        d.reply(r);
        EXPECT_EQ(d.step.kind, Step::Kind::Respond);
        EXPECT_EQ(error_of(d), "invalid_grant");
        expect_no_cache(d);
    }
}

// Issue 18 item 8: exp - now with exp = INT64_MIN wrapped positive and an
// ended family refreshed (fail open). A family whose numbers are out of range
// is malformed: treated as absent.
TEST(Refresh, FamilyWithExtremeExpIsInvalidGrant) {
    auto c = confidential("app", "s", kRefresh);
    for (std::string exp : {std::to_string(INT64_MIN), std::to_string(INT64_MAX), std::string("-1"),
                            std::string("99999999999999999999"), std::string("12abc")}) {
        Driver d = authenticated(c, "grant_type=refresh_token&refresh_token=fam1.RT1");
        d.reply(array({"ok", "fam1", R"({"fam":"fam1","iat":1,"rid":"r1"})", "client_id", "app",
                       "sub", "sub-alice", "username", "alice", "scope", "a", "iat", "1", "exp",
                       exp, "rt", "h"}));
        EXPECT_EQ(d.step.kind, Step::Kind::Respond) << exp;
        EXPECT_EQ(error_of(d), "invalid_grant") << exp;
    }
}

// SPEC 4.1: every grant checks the client may have those scopes; its
// registration may have narrowed since the family was granted.
TEST(Refresh, ScopeTheClientNoLongerHasIsInvalidScope) {
    auto c = confidential("app", "s", kRefresh);
    c.scopes = {"a"};
    Driver d = authenticated(c, "grant_type=refresh_token&refresh_token=fam1.RT1");
    d.reply(family_reply("app", "a b", kNow + 1000));
    EXPECT_EQ(error_of(d), "invalid_scope");
    Driver narrowed = authenticated(c, "grant_type=refresh_token&refresh_token=fam1.RT1&scope=a");
    narrowed.reply(family_reply("app", "a b", kNow + 1000));
    EXPECT_EQ(narrowed.step.kind, Step::Kind::Redis);  // what it still may have: rotated
}

TEST(Refresh, LosingTheRotationRaceIsInvalidGrant) {
    Driver d = authenticated(confidential("app", "s", kRefresh), "grant_type=refresh_token&refresh_token=fam1.RT1");
    d.reply(family_reply("app", "a", kNow + 1000));
    d.reply(str("reused"));
    EXPECT_EQ(error_of(d), "invalid_grant");
}

TEST(Refresh, MissingTokenIsInvalidRequest) {
    Driver d = authenticated(confidential("app", "s", kRefresh), "grant_type=refresh_token");
    EXPECT_EQ(error_of(d), "invalid_request");
}

TEST(Refresh, ClientWithoutTheRefreshGrantIsUnauthorized) {
    Driver d = authenticated(confidential("app", "s", {"password"}), "grant_type=refresh_token&refresh_token=x");
    EXPECT_EQ(error_of(d), "unauthorized_client");
}

}  // namespace

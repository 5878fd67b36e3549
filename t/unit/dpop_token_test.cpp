// DPoP at the token endpoint (RFC 9449 §5, §6) on canned Redis replies: the
// proof is checked before the client authenticates, its jti spent before the
// grant, the token bound to its key, and a public client's refresh token too.
#include "dpop/binding.h"
#include "dpop_helpers.h"
#include "oauth/tokens/issue.h"
#include "store/keys.h"
#include "store/scripts.h"
#include "token_helpers.h"

using namespace token_test;
using oauth::dpop::testing::client_key;
using oauth::dpop::testing::es_key;
using oauth::dpop::testing::proof;
using oauth::dpop::testing::proof_claims;

namespace {

constexpr const char* kTokenUrl = "https://as.example.com/token";

std::string token_proof(const oauth::jose::Key& key = *es_key(), std::string_view jti = "j-1",
                        std::string_view htu = kTokenUrl) {
    auto c = proof_claims("POST", htu, kNow, jti);
    return proof(key, c.get());
}

oauth::flow::Request dpop_post(std::string body, std::string authorization, std::string dpop_proof,
                               int count = 1) {
    auto r = post(std::move(body), std::move(authorization));
    r.dpop = std::move(dpop_proof);
    r.dpop_count = count;
    return r;
}

// The client record replied (and its secret checked).
Driver authenticated(const oauth::store::Client& c, std::string body, std::string dpop_proof) {
    Driver d(token_flow(dpop_post(std::move(body), c.is_public ? "" : basic(c.id, "s"),
                                  std::move(dpop_proof))));
    d.reply(str(oauth::store::serialize(c)));
    d.settle();
    return d;
}

ReplyPtr status_ok() { return text_reply(REDIS_REPLY_STATUS, "OK"); }

std::string jkt_of(const Driver& d) {
    auto body = d.body();
    auto claims = verified_payload(oauth::json::get_string(body.get(), "access_token").value_or(""));
    if (!claims) return "<no token>";
    return std::string(oauth::dpop::confirmation(claims.get()).value_or("<no cnf>"));
}

const std::vector<std::string> kCC = {"client_credentials"};

}  // namespace

TEST(DpopToken, ClientCredentialsWithAProofIssuesABoundToken) {
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials",
                             token_proof());
    // First the jti is spent (SET NX with the proof window as TTL)...
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.command()[0], "SET");
    EXPECT_EQ(d.command()[1], oauth::store::Keys("p:").dpop_jti(es_key()->thumbprint(), "j-1"));
    EXPECT_EQ(d.command()[3], "NX");
    d.reply(status_ok());
    // ...then the grant issues (a family-less session: its SET is last).
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    EXPECT_EQ(d.last_command()[0], "SET");
    d.reply_issue(status_ok());
    ASSERT_EQ(d.step.response.status, 200u);
    EXPECT_EQ(oauth::json::get_string(d.body().get(), "token_type").value_or(""), "DPoP");
    EXPECT_EQ(jkt_of(d), es_key()->thumbprint());
}

TEST(DpopToken, WithoutAProofTheTokenIsBearer) {
    Driver d(token_flow(post("grant_type=client_credentials", basic("svc", "s"))));
    d.reply(str(oauth::store::serialize(confidential("svc", "s", kCC))));
    d.settle();
    EXPECT_EQ(d.last_command()[0], "SET");
    d.reply_issue(status_ok());
    EXPECT_EQ(oauth::json::get_string(d.body().get(), "token_type").value_or(""), "Bearer");
    EXPECT_EQ(jkt_of(d), "<no cnf>");
}

TEST(DpopToken, ABadProofIsRefusedBeforeAnyRedis) {
    for (const std::string& bad : {token_proof(*es_key(), "j", "https://as.example.com/other"),
                                   std::string("not.a.proof"), std::string()}) {
        Driver d(token_flow(dpop_post("grant_type=client_credentials", basic("svc", "s"), bad)));
        ASSERT_EQ(d.step.kind, Step::Kind::Respond);
        EXPECT_EQ(d.step.response.status, 400u);
        EXPECT_EQ(error_of(d), "invalid_dpop_proof");
        expect_no_cache(d);
    }
}

TEST(DpopToken, TwoDpopHeadersAreRefused) {
    Driver d(token_flow(dpop_post("grant_type=client_credentials", basic("svc", "s"), token_proof(), 2)));
    ASSERT_EQ(d.step.kind, Step::Kind::Respond);
    EXPECT_EQ(error_of(d), "invalid_dpop_proof");
}

TEST(DpopToken, AReplayedProofIsRefusedAndNothingIssued) {
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials",
                             token_proof());
    d.reply(nil());  // SET NX found the key: seen before
    ASSERT_EQ(d.step.kind, Step::Kind::Respond);
    EXPECT_EQ(d.step.response.status, 400u);
    EXPECT_EQ(error_of(d), "invalid_dpop_proof");
}

TEST(DpopToken, RedisErrorOnTheReplayCheckIs503) {
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials",
                             token_proof());
    d.reply(error("ERR down"));
    EXPECT_EQ(d.step.response.status, 503u);
}

TEST(DpopToken, APublicClientsRefreshTokenIsBoundInTheFamily) {
    oauth::store::Client pub = public_client("spa", {"authorization_code", "refresh_token"});
    oauth::store::Client conf = confidential("app", "s", {"authorization_code", "refresh_token"});
    // The ISSUE script call is the last command; the family's fields are its
    // trailing field/value pairs.
    auto args_of = [](const oauth::token::Issued& i) { return i.commands.back(); };
    auto has_jkt = [](const std::vector<std::string>& a, const std::string& jkt) {
        for (size_t i = 0; i + 1 < a.size(); ++i)
            if (a[i] == "jkt" && a[i + 1] == jkt) return true;
        return false;
    };
    auto bound = oauth::token::issue(server(), {.client = pub, .sub = "u", .scope = "a",
                                                .refresh_token = true, .now = kNow, .jkt = "T"});
    EXPECT_TRUE(has_jkt(args_of(bound), "T"));
    EXPECT_EQ(bound.response().get() ? oauth::json::get_string(bound.response().get(), "token_type").value_or("") : "",
              "DPoP");
    // A confidential client's refresh token is sender-constrained already.
    auto unbound = oauth::token::issue(server(), {.client = conf, .sub = "u", .scope = "a",
                                                  .refresh_token = true, .now = kNow, .jkt = "T"});
    EXPECT_FALSE(has_jkt(args_of(unbound), "T"));
}

namespace {

ReplyPtr bound_family(std::string client, std::string jkt) {
    return array({"ok", "fam1", R"({"fam":"fam1","iat":1,"rid":"r1"})", "client_id", client,
                  "sub", "sub-alice", "username", "alice", "scope", "a", "iat", "1", "exp",
                  std::to_string(kNow + 100000), "rt", "h", "jkt", jkt});
}

Driver refresh(std::string dpop_proof) {
    oauth::store::Client pub = public_client("spa", {"authorization_code", "refresh_token"});
    Driver d(token_flow(dpop_post("grant_type=refresh_token&refresh_token=fam1.RT1&client_id=spa", "",
                                  dpop_proof, dpop_proof.empty() ? 0 : 1)));
    d.reply(str(oauth::store::serialize(pub)));
    d.settle();
    if (!dpop_proof.empty()) d.reply(text_reply(REDIS_REPLY_STATUS, "OK"));
    d.reply(bound_family("spa", es_key()->thumbprint()));
    return d;
}

}  // namespace

TEST(DpopToken, ABoundRefreshTokenNeedsAProofByItsKey) {
    Driver none = refresh("");
    ASSERT_EQ(none.step.kind, Step::Kind::Respond);
    EXPECT_EQ(error_of(none), "invalid_grant");

    auto other = client_key(oauth::jose::Alg::ES256);
    Driver wrong = refresh(token_proof(*other));
    ASSERT_EQ(wrong.step.kind, Step::Kind::Respond);
    EXPECT_EQ(error_of(wrong), "invalid_grant");

    Driver right = refresh(token_proof());
    ASSERT_EQ(right.step.kind, Step::Kind::Redis);
    EXPECT_EQ(right.last_command()[1], oauth::store::rotate_script().sha1());
    right.reply_issue(str("ok"));
    ASSERT_EQ(right.step.response.status, 200u);
    EXPECT_EQ(oauth::json::get_string(right.body().get(), "token_type").value_or(""), "DPoP");
    EXPECT_EQ(jkt_of(right), es_key()->thumbprint());
}

// oauth_dpop_nonce at the token endpoint (RFC 9449 §8).
namespace {

std::string nonce_at(int64_t now) {
    return oauth::dpop::nonce_for(server().dpop_nonce_keys.at(0), 300, now);
}

std::string nonce_proof(std::string_view nonce, std::string_view jti) {
    auto c = proof_claims("POST", kTokenUrl, kNow, jti);
    if (!nonce.empty()) oauth::json::set(c.get(), "nonce", nonce);
    return proof(*es_key(), c.get());
}

std::string header_of(const Driver& d, std::string_view name) {
    for (const auto& [k, v] : d.step.response.headers)
        if (k == name) return v;
    return "<none>";
}

}  // namespace

TEST(DpopToken, WithNoncesOnAProofWithoutTheNonceIsUseDpopNonce) {
    for (std::string_view sent : {std::string_view(), std::string_view("made-up")}) {
        auto r = dpop_post("grant_type=client_credentials", basic("svc", "s"), nonce_proof(sent, "n-1"));
        r.dpop_nonce_lifetime = 300;
        Driver d(token_flow(std::move(r)));
        // Before the client record is even read: no Redis at all.
        ASSERT_EQ(d.step.kind, Step::Kind::Respond);
        EXPECT_EQ(d.step.response.status, 400u);
        EXPECT_EQ(error_of(d), "use_dpop_nonce");
        EXPECT_EQ(oauth::json::get_string(d.body().get(), "error_description").value_or(""),
                  "Authorization server requires nonce in DPoP proof");
        EXPECT_EQ(header_of(d, "DPoP-Nonce"), nonce_at(kNow));
        expect_no_cache(d);
    }
}

TEST(DpopToken, TheCurrentNonceIssuesThePreviousOneIssuesWithANewNonce) {
    for (int64_t back : {0, 300}) {
        auto r = dpop_post("grant_type=client_credentials", basic("svc", "s"),
                           nonce_proof(nonce_at(kNow - back), "n-2"));
        r.dpop_nonce_lifetime = 300;
        Driver d(token_flow(std::move(r)));
        d.reply(str(oauth::store::serialize(confidential("svc", "s", kCC))));
        d.settle();
        ASSERT_EQ(d.step.kind, Step::Kind::Redis) << back;
        EXPECT_EQ(d.command()[0], "SET");  // the jti
        d.reply(status_ok());
        d.reply_issue(status_ok());
        ASSERT_EQ(d.step.response.status, 200u) << back;
        EXPECT_EQ(jkt_of(d), es_key()->thumbprint());
        EXPECT_EQ(header_of(d, "DPoP-Nonce"), back ? nonce_at(kNow) : "<none>");
    }
}

TEST(DpopToken, NoncesOffTakeAnyNonceAndBearerRequestsNeedNone) {
    Driver d = authenticated(confidential("svc", "s", kCC), "grant_type=client_credentials",
                             nonce_proof("whatever", "n-3"));
    ASSERT_EQ(d.step.kind, Step::Kind::Redis);
    auto r = post("grant_type=client_credentials", basic("svc", "s"));
    r.dpop_nonce_lifetime = 300;
    Driver b(token_flow(std::move(r)));
    b.reply(str(oauth::store::serialize(confidential("svc", "s", kCC))));
    b.settle();
    b.reply_issue(status_ok());
    EXPECT_EQ(b.step.response.status, 200u);
    EXPECT_EQ(header_of(b, "DPoP-Nonce"), "<none>");
}

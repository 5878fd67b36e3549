// Shared by the require_*_test.cpp files: keys generated in the test, and a
// token factory that signs whatever header and claims a test wants.
#pragma once
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "oauth_core.h"
#include "oauth_require.h"
#include "jose/jws.h"
#include "jose/key.h"
#include "jose/keygen.h"
#include "json/json.h"
#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::require::testing {

inline constexpr int64_t kNow = 1'700'000'000;
inline constexpr const char* kIssuer = "https://auth.example.com";

inline jose::KeyPtr make_key(jose::Alg alg, const char* kid) {
    auto key = jose::Key::from_pem(jose::generate_private_key_pem(alg), kid);
    EXPECT_TRUE(key.has_value());
    return *key;
}

// One RSA and one EC key for the whole test binary: RSA generation is slow.
inline const jose::KeyPtr& rsa_key() {
    static jose::KeyPtr k = make_key(jose::Alg::RS256, "rsa1");
    return k;
}
inline const jose::KeyPtr& ec_key() {
    static jose::KeyPtr k = make_key(jose::Alg::ES256, "ec1");
    return k;
}

// The claims of a good token; tests change one thing.
inline json::Json good_claims() {
    json::Json c(json_object());
    json::set(c.get(), "iss", kIssuer);
    json::set(c.get(), "sub", "user-42");
    json::set(c.get(), "aud", "https://api.example.com");
    json::set(c.get(), "client_id", "app");
    json::set(c.get(), "scope", "orders:read profile");
    json::set(c.get(), "jti", "jti-0001");
    json::set(c.get(), "iat", kNow - 10);
    json::set(c.get(), "exp", kNow + 600);
    return c;
}

inline std::string b64(std::string_view s) { return util::base64url_encode(s); }

// A token with exactly this header JSON, signed by `signer` (or with the
// given raw signature when signer is null).
inline std::string raw_token(std::string_view header_json, const json_t* claims,
                             const jose::Key* signer, std::string_view raw_sig = {}) {
    std::string input = b64(header_json) + "." + b64(json::dump(claims));
    std::string sig = signer ? signer->sign(input) : std::string(raw_sig);
    return input + "." + b64(sig);
}

inline std::string sign(const jose::Key& key, const json_t* claims, std::string_view typ = "at+jwt") {
    return jose::sign_compact(key, typ, claims);
}

// Strings across the C ABI, both ways.
inline std::string S(oauth_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }
inline oauth_str_t O(std::string_view s) { return {s.data(), s.size()}; }

// What the ABI tests of the edge start from, as nginx configures it: an
// ES256 key in a PEM file (removed at the end) loaded with oauth_key_load
// (kid k1), and a server block of that key and kIssuer. A fixture derives
// from it and calls ASSERT_NO_FATAL_FAILURE(make_key_and_server()) in SetUp.
struct AbiKeyAndServer {
    std::string pem_path;
    oauth_key_t* key = nullptr;
    oauth_server_t* server = nullptr;

    void make_key_and_server() {
        char tmpl[] = "/tmp/oauth_unit_key_XXXXXX";
        int fd = mkstemp(tmpl);
        ASSERT_GE(fd, 0);
        close(fd);
        pem_path = tmpl;
        std::ofstream(pem_path) << jose::generate_private_key_pem(jose::Alg::ES256);
        char err[256] = "";
        key = oauth_key_load(pem_path.c_str(), "k1", err, sizeof(err));
        ASSERT_NE(key, nullptr) << err;
        server = new_server("px:");
        ASSERT_NE(server, nullptr);
    }
    // Another server block with the key; oauth_audience is the good token's
    // aud unless a test says otherwise.
    oauth_server_t* new_server(std::string_view redis_prefix,
                               std::string_view audience = "https://api.example.com") const {
        const oauth_key_t* keys[] = {key};
        oauth_server_params_t p{};
        p.issuer = O(kIssuer);
        p.audience = O(audience);
        p.redis_prefix = O(redis_prefix);
        p.keys = keys;
        p.nkeys = 1;
        char err[256] = "";
        oauth_server_t* s = oauth_server_new(&p, err, sizeof(err));
        EXPECT_NE(s, nullptr) << err;
        return s;
    }
    ~AbiKeyAndServer() {
        oauth_server_free(server);
        oauth_key_free(key);
        if (!pem_path.empty()) std::remove(pem_path.c_str());
    }
};

// The edge's Redis step answered with one reply (the session check's).
inline void resume_one(oauth_require_t* h, const redisReply* reply, oauth_require_result_t* res) {
    const redisReply* replies[] = {reply};
    oauth_require_resume_redis(h, replies, 1, res);
}

}  // namespace oauth::require::testing

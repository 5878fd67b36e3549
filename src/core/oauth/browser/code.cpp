#include "oauth/browser/code.h"

#include "store/fields.h"
#include "store/keys.h"
#include "util/crypto.h"

namespace oauth::authz {

namespace {

constexpr size_t kCodeBytes = 32;  // SPEC §3 asks >= 128 bits; RFC 6749 §10.10

// The code record's one table (store/fields.h), in the order it is written.
using F = store::Field<CodeRecord>;
const F kCodeFields[] = {
    store::string_field("client_id", &CodeRecord::client_id),
    store::string_field("redirect_uri", &CodeRecord::redirect_uri),
    store::string_field("code_challenge", &CodeRecord::code_challenge),
    store::string_field("code_challenge_method", &CodeRecord::code_challenge_method),
    store::string_field("nonce", &CodeRecord::nonce),
    store::string_field("scope", &CodeRecord::scope),
    store::optional_string_field("resource", &CodeRecord::resource),
    store::string_field("sub", &CodeRecord::sub),
    store::string_field("username", &CodeRecord::username),
    store::integer_field("auth_time", &CodeRecord::auth_time, store::kInstant),
    store::object_field("claims", &CodeRecord::claims),
    store::integer_field("iat", &CodeRecord::iat, store::kInstant),
    store::string_field("dpop_jkt", &CodeRecord::dpop_jkt),
};

}  // namespace

std::string serialize(const CodeRecord& c) {
    return store::serialize_fields<CodeRecord>(c, kCodeFields);
}

std::optional<CodeRecord> parse_code(std::string_view text) {
    return store::parse_fields<CodeRecord>(text, kCodeFields);
}

MintedCode mint_code(const flow::ServerConfig& server, const CodeRecord& record) {
    MintedCode m;
    m.code = util::random_token(kCodeBytes);
    int64_t ttl = server.ttl_of(OAUTH_TTL_CODE);
    if (ttl <= 0) ttl = 60;
    store::Keys keys(server.prefix);
    // RFC 6749 §10.5: only a hash is stored; the code itself lives only in
    // the redirect and in the client.
    m.command = {"SET", keys.code(store::secret_key_id(m.code)), serialize(record), "EX",
                 std::to_string(ttl)};
    return m;
}

}  // namespace oauth::authz

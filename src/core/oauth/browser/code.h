// Authorization codes (RFC 6749 §4.1.2, SPEC §3): minted by the browser flow
// (authorize / consent / login), consumed by the authorization_code grant at
// the token endpoint. This header is the one definition of the stored format.
//
//   code   >= 128 random bits: 32 random bytes, base64url (43 characters)
//   Redis  P code:{sha256hex(code)}  (store::secret_key_id), TTL oauth_code_ttl,
//          JSON {"client_id","redirect_uri","code_challenge",
//                "code_challenge_method","nonce","scope","sub","username",
//                "auth_time","claims":{...},"iat","dpop_jkt"}
//   code_challenge_method is "S256" or "" (no PKCE; confidential clients only).
//   dpop_jkt (RFC 9449 §10) is "" when the code is bound to no key.
//   nonce is "" when the request had none. claims: the user's claims (user
//   record, or what an external login posted), an object, never null.
//
// The grant consumes it with store::consume_script() (single use).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flow/flow.h"
#include "json/json.h"
#include "store/keys.h"

namespace oauth::authz {

struct CodeRecord {
    std::string client_id;
    std::string redirect_uri;
    std::string code_challenge;
    std::string code_challenge_method;
    std::string nonce;
    std::string scope;
    std::string resource;  // RFC 8707 resources, space-separated; "" none
    std::string sub;
    std::string username;
    int64_t auth_time = 0;
    json::Json claims;  // an object
    int64_t iat = 0;
    std::string dpop_jkt;
};

std::string serialize(const CodeRecord& c);
// nullopt when not a JSON object, a member has the wrong type, or a number is
// out of its range (store/bounds.h); missing string members are "", missing
// numbers 0, a missing claims is {}.
std::optional<CodeRecord> parse_code(std::string_view text);

struct MintedCode {
    std::string code;       // goes to the client; never logged
    flow::Command command;  // SET P code:{hash} json EX oauth_code_ttl
};
MintedCode mint_code(const flow::ServerConfig& server, const CodeRecord& record);

}  // namespace oauth::authz

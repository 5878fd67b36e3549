#include "oauth/tokens/token_lookup.h"

#include "jose/jws.h"

namespace oauth::token {

std::optional<AccessClaims> verify_access_token(const flow::ServerConfig& server,
                                                std::string_view token, int64_t now,
                                                bool check_exp) {
    if (server.keys.empty()) return std::nullopt;
    auto jws = jose::verify_compact(token, server.keys);
    if (!jws) return std::nullopt;
    auto typ = json::get_string(jws->header.get(), "typ");
    if (!typ || (*typ != "at+jwt" && *typ != "application/at+jwt")) return std::nullopt;
    const json_t* p = jws->payload.get();
    auto iss = json::get_string(p, "iss");
    auto jti = json::get_string(p, "jti");
    auto exp = json::get_int(p, "exp");
    if (!iss || *iss != server.issuer || !jti || jti->empty() || !exp) return std::nullopt;
    if (check_exp && *exp <= now) return std::nullopt;
    AccessClaims out;
    out.jti = *jti;
    out.client_id = json::get_string(p, "client_id").value_or("");
    out.exp = *exp;
    out.payload = std::move(jws->payload);
    return out;
}

}  // namespace oauth::token

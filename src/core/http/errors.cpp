#include "http/errors.h"

#include "json/json.h"

namespace oauth {

namespace {

struct Row {
    std::string_view code;
    unsigned status;
};

// Indexed by Error; keep in the enum's order.
constexpr Row kTable[] = {
    {"invalid_request", 400},
    {"invalid_client", 401},
    {"invalid_grant", 400},
    {"unauthorized_client", 400},
    {"unsupported_grant_type", 400},
    {"unsupported_response_type", 400},
    {"unsupported_token_type", 400},
    {"invalid_scope", 400},
    {"access_denied", 400},  // RFC 8628 §3.5 answers it with 400
    {"server_error", 500},
    {"temporarily_unavailable", 503},
    {"authorization_pending", 400},
    {"slow_down", 400},
    {"expired_token", 400},
    {"invalid_token", 401},
    {"insufficient_scope", 403},
    {"login_required", 400},
    {"consent_required", 400},
    {"interaction_required", 400},
    {"request_not_supported", 400},
    {"request_uri_not_supported", 400},
    {"invalid_redirect_uri", 400},
    {"invalid_client_metadata", 400},
    {"invalid_target", 400},
    {"invalid_dpop_proof", 400},
    {"use_dpop_nonce", 400},
};
static_assert(sizeof(kTable) / sizeof(kTable[0]) == static_cast<size_t>(Error::UseDpopNonce) + 1);

}  // namespace

std::string description_text(std::string_view description) {
    std::string out(description);
    for (char& c : out) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"') c = '\'';
        else if (c == '\\') c = '/';
        else if (u < 0x20 || u > 0x7e) c = '?';
    }
    return out;
}

std::string_view error_code(Error e) { return kTable[static_cast<size_t>(e)].code; }
unsigned error_status(Error e) { return kTable[static_cast<size_t>(e)].status; }

http::Response error_response(Error e, std::string_view description) {
    json::Json body(json_object());
    json::set(body.get(), "error", error_code(e));
    if (!description.empty())
        json::set(body.get(), "error_description", description_text(description));
    http::Response r = http::json_response(error_status(e), json::dump(body.get()));
    r.header("Cache-Control", "no-store");
    return r;
}

http::Response internal_error() { return error_response(Error::ServerError, "internal error"); }

}  // namespace oauth

#include "flow/audit.h"

#include "json/json.h"

namespace oauth::flow {

namespace {

// Keeps what is valid UTF-8; any byte of a broken sequence becomes '?', so
// a hostile user name still yields a line (JSON must be UTF-8).
std::string printable(std::string_view s) {
    if (json::is_utf8(s)) return std::string(s);
    std::string out;
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n && i + n <= s.size() && json::is_utf8(s.substr(i, n))) {
            out.append(s.substr(i, n));
            i += n;
        } else {
            out.push_back('?');
            i++;
        }
    }
    return out;
}

}  // namespace

std::string_view audit_event_name(oauth_event_kind_e kind) {
    switch (kind) {
    case OAUTH_EVENT_TOKEN_ISSUED: return "token_issued";
    case OAUTH_EVENT_TOKEN_ERROR: return {};
    case OAUTH_EVENT_REFRESH_REUSE: return "refresh_reuse_detected";
    case OAUTH_EVENT_TOKEN_REVOKED: return "token_revoked";
    case OAUTH_EVENT_LOGIN_SUCCEEDED: return "login_succeeded";
    case OAUTH_EVENT_LOGIN_FAILED: return "login_failed";
    case OAUTH_EVENT_CONSENT_GRANTED: return "consent_granted";
    case OAUTH_EVENT_CONSENT_DENIED: return "consent_denied";
    case OAUTH_EVENT_DEVICE_APPROVED: return "device_approved";
    case OAUTH_EVENT_DEVICE_DENIED: return "device_denied";
    case OAUTH_EVENT_REGISTRATION_CREATED: return "registration_created";
    case OAUTH_EVENT_REGISTRATION_DELETED: return "registration_deleted";
    case OAUTH_EVENT_COUNT: break;
    }
    return {};
}

std::optional<std::string> audit_line(const Event& e, const AuditContext& ctx) {
    std::string_view name = audit_event_name(e.kind);
    if (name.empty()) return std::nullopt;
    json::Json o(json_object());
    if (!o) throw json::SetFailed();
    json::set(o.get(), "time", printable(ctx.time));
    json::set(o.get(), "event", name);
    json::set(o.get(), "remote_addr", printable(ctx.remote_addr));
    json::set(o.get(), "request_id", printable(ctx.request_id));
    // Identifiers only: the event has no field that could hold a secret.
    const std::pair<const char*, const std::string*> fields[] = {
        {"grant", &e.grant}, {"client_id", &e.client}, {"sub", &e.sub},      {"jti", &e.jti},
        {"family", &e.family}, {"username", &e.username}, {"error", &e.error},
    };
    for (const auto& [key, value] : fields)
        if (!value->empty()) json::set(o.get(), key, printable(*value));
    return json::dump(o.get()) + "\n";
}

}  // namespace oauth::flow

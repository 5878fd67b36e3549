// The audit log's line for an event (SPEC section 11, oauth_audit_log): one
// compact JSON object. The glue supplies what only it knows (the time, the
// client's address, $request_id) and writes the line through nginx's own
// log files or syslog; the core only formats it.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "flow/event.h"

namespace oauth::flow {

struct AuditContext {
    std::string_view time;         // ISO 8601, as nginx's $time_iso8601
    std::string_view remote_addr;
    std::string_view request_id;
};

// The event's name in the log ("token_issued", ...); empty for the kinds
// that are counted but not audited (token_error).
std::string_view audit_event_name(oauth_event_kind_e kind);

// {"time","event","remote_addr","request_id", then the event's non-empty
// fields: "grant","client_id","sub","jti","family","username","error"};
// nullopt for a kind that is not audited. A field that is not UTF-8 (a
// typed user name) has its bad bytes as '?'.
std::optional<std::string> audit_line(const Event& e, const AuditContext& ctx);

}  // namespace oauth::flow

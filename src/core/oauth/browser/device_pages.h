// The device verification page's HTML (oauth/endpoints/device_verification.cpp,
// RFC 8628 §3.3): the code entry form, the confirmation with the client and
// its scopes, the answer after the decision, and the wrong-code limit's 429.
#pragma once
#include <string_view>

#include "flow/flow.h"
#include "http/response.h"
#include "oauth/browser/sso.h"
#include "store/records.h"

namespace oauth::pages {

// The CSRF purposes of the two forms (csrf.h): entering a code, deciding.
inline constexpr std::string_view kDeviceEntryPurpose = "device";
inline constexpr std::string_view kDeviceDecisionPurpose = "device-decision";

// Who the page is shown to, and what its CSRF fields are bound to.
struct DeviceVisitor {
    const flow::ServerConfig& server;
    const flow::Request& request;
    const sso::Session& session;
};

// The code entry form; prefill: what to show in the field; error: an alert, or "".
http::Response device_entry_page(const DeviceVisitor& v, std::string_view csrf_context, unsigned status,
                                 std::string_view prefill, std::string_view error);
// Approve or deny: the client, the code the device should show, the scopes.
http::Response device_confirm_page(const DeviceVisitor& v, std::string_view csrf_context,
                                   const store::Client& client, std::string_view user_code,
                                   std::string_view scope);
http::Response device_done_page(bool approved);
// 429 with Retry-After: the wrong-code window (device/user_code_limit.h).
http::Response device_too_many_page();

}  // namespace oauth::pages

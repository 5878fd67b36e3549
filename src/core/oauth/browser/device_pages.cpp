#include "oauth/browser/device_pages.h"

#include "http/html.h"
#include "oauth/browser/csrf.h"
#include "oauth/browser/page_parts.h"
#include "oauth/device/user_code.h"
#include "oauth/device/user_code_limit.h"

namespace oauth::pages {

http::Response device_entry_page(const DeviceVisitor& v, std::string_view csrf_context, unsigned status,
                                 std::string_view prefill, std::string_view error) {
    csrf::Browser browser = csrf::browser(v.request, v.server);
    std::string body;
    body += alert(error);
    body += "<p class=\"oauth-intro\">Enter the code shown on your device.</p>\n";
    body += signed_in_as(v.session);
    body += form_open(v.server, v.request, OAUTH_EP_DEVICE_VERIFICATION);
    body += csrf::hidden_field(browser.secret, kDeviceEntryPurpose, csrf_context) + "\n";
    body += "<label for=\"user_code\">Code</label>\n"
            "<input type=\"text\" id=\"user_code\" name=\"user_code\" value=\"" +
            html::escape(prefill) +
            "\" autocomplete=\"off\" autocapitalize=\"characters\" spellcheck=\"false\" "
            "placeholder=\"BCDF-GHJK\" required autofocus>\n";
    body += "<div class=\"oauth-actions\"><button type=\"submit\" class=\"oauth-continue\">"
            "Continue</button></div>\n</form>";
    http::Response r = html::page(status, "Connect a device", "device", body);
    csrf::attach(r, browser);
    return r;
}

http::Response device_confirm_page(const DeviceVisitor& v, std::string_view csrf_context,
                                   const store::Client& client, std::string_view user_code,
                                   std::string_view scope) {
    csrf::Browser browser = csrf::browser(v.request, v.server);
    std::string shown = device::display_user_code(user_code);
    std::string name = client.name.empty() ? client.id : client.name;
    std::string body;
    body += "<p class=\"oauth-intro\"><strong class=\"oauth-client\">" + html::escape(name) +
            "</strong> (<code class=\"oauth-client-id\">" + html::escape(client.id) +
            "</code>) asks for access to your account from a device.</p>\n";
    body += "<p>Check that your device shows the code <strong class=\"oauth-user-code\">" +
            html::escape(shown) + "</strong>.</p>\n";
    body += signed_in_as(v.session);
    body += scope_list(scope);
    body += form_open(v.server, v.request, OAUTH_EP_DEVICE_VERIFICATION);
    body += html::hidden_input("user_code", shown) + "\n";
    body += csrf::hidden_field(browser.secret, kDeviceDecisionPurpose, csrf_context) + "\n";
    body += decision_buttons() + "</form>";
    http::Response r = html::page(200, "Connect " + name, "device", body);
    csrf::attach(r, browser);
    return r;
}

http::Response device_done_page(bool approved) {
    std::string body = approved
        ? "<p class=\"oauth-done\" role=\"status\">Your device is connected. You can close "
          "this page and go back to your device.</p>"
        : "<p class=\"oauth-done\" role=\"status\">The request was denied. Your device "
          "will not be connected.</p>";
    return html::page(200, approved ? "Device connected" : "Request denied", "device", body);
}

http::Response device_too_many_page() {
    http::Response r = html::error_page(429, "Too many attempts",
                                        "Too many wrong codes were entered. Wait 10 minutes, then try again.");
    r.header("Retry-After", std::to_string(device::kWrongCodeWindow));
    return r;
}

}  // namespace oauth::pages

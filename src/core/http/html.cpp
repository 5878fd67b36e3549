#include "http/html.h"

#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::html {

namespace {

// The built-in look: small, readable, no external resource. Its hash goes in
// the CSP, so no 'unsafe-inline' is needed and no other inline style runs.
constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d1f23}"
    ".oauth-page{max-width:26rem;margin:4rem auto;padding:2rem;background:#fff;"
    "border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15)}"
    "h1{font-size:1.4rem;margin-top:0}"
    "label{display:block;margin:.8rem 0 .2rem}"
    "input[type=text],input[type=password],input[type=email]{width:100%;box-sizing:border-box;"
    "padding:.5rem;font-size:1rem}"
    ".oauth-actions{margin-top:1.2rem;display:flex;gap:.6rem}"
    "button{padding:.5rem 1.2rem;font-size:1rem;cursor:pointer}"
    ".oauth-error{color:#a00000}"
    ".oauth-scopes li{margin:.2rem 0}";

const std::string& csp() {
    static const std::string value =
        "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
        "style-src 'self' 'sha256-" +
        util::base64_encode(util::sha256(kStyle)) + "'; frame-ancestors 'none'";
    return value;
}

}  // namespace

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out.push_back(c);
        }
    }
    return out;
}

void add_security_headers(http::Response& r) {
    // RFC 9700 §4.16 (clickjacking): both the legacy header and CSP.
    r.header("X-Frame-Options", "DENY");
    r.header("Content-Security-Policy", csp());
    // Pages carry CSRF tokens and handles: never cached, never shared.
    r.header("Cache-Control", "no-store");
    r.header("Pragma", "no-cache");
    r.header("X-Content-Type-Options", "nosniff");
    r.header("Referrer-Policy", "no-referrer");
}

http::Response page(unsigned status, std::string_view title, std::string_view kind,
                    std::string_view body_html) {
    http::Response r;
    r.status = status;
    r.content_type = "text/html; charset=utf-8";
    std::string t = escape(title);
    r.body.reserve(kStyle.size() + body_html.size() + 512);
    r.body += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<title>";
    r.body += t;
    r.body += "</title>\n<style>";
    r.body += kStyle;
    r.body += "</style>\n</head>\n<body>\n<main class=\"oauth-page oauth-page--";
    r.body += escape(kind);
    r.body += "\">\n<h1>";
    r.body += t;
    r.body += "</h1>\n";
    r.body += body_html;
    r.body += "\n</main>\n</body>\n</html>\n";
    add_security_headers(r);
    return r;
}

http::Response error_page(unsigned status, std::string_view title, std::string_view message) {
    std::string body = "<p class=\"oauth-error\" role=\"alert\">" + escape(message) + "</p>";
    return page(status, title, "error", body);
}

http::Response redirect(std::string_view location, unsigned status) {
    http::Response r;
    r.status = status;
    r.header("Location", std::string(location));
    add_security_headers(r);
    return r;
}

std::string hidden_input(std::string_view name, std::string_view value) {
    return "<input type=\"hidden\" name=\"" + escape(name) + "\" value=\"" + escape(value) + "\">";
}

}  // namespace oauth::html

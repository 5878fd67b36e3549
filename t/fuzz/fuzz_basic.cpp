// Client authentication's reading of a request: the Basic header (base64,
// the form-encoded id and secret, RFC 6749 §2.3.1) against a form body.
// Input: authorization \0 body.
#include <cstdlib>

#include "fuzz_support.h"
#include "oauth/clients/client_auth.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Parts in(data, size);
    oauth::flow::Request request;
    request.method = "POST";
    request.content_type = "application/x-www-form-urlencoded";
    request.authorization = std::string(in.next());
    request.body = std::string(in.rest());
    oauth::http::Form form = oauth::http::parse_form(request.body);
    auto presented = oauth::client_auth::presented_client(request, form);
    if (!presented && (presented.error().status < 400 || presented.error().status > 499))
        std::abort();
    return 0;
}

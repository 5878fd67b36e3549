// The form parser (request bodies and query strings) and its encoder:
// parse never crashes, and decoding what we encode gives the bytes back.
#include <cstdlib>

#include "http/form.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    oauth::http::Form form = oauth::http::parse_form(text);
    for (const auto& [name, value] : form.params) {
        std::string encoded = oauth::http::form_encode(value);
        auto back = oauth::http::form_decode(encoded);
        if (!back || *back != value) std::abort();
        (void)form.value(name);
    }
    (void)oauth::http::form_decode(text);
    return 0;
}

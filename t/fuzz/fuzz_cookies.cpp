// The Cookie header parser. Input: name \0 header. A value found is a
// substring of the header (the parser hands out views, never copies).
#include <cstdlib>

#include "fuzz_support.h"
#include "http/cookies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Parts in(data, size);
    std::string_view name = in.next();
    std::string_view header = in.rest();
    auto value = oauth::http::cookie_value(header, name);
    if (value && !value->empty() &&
        (value->data() < header.data() ||
         value->data() + value->size() > header.data() + header.size()))
        std::abort();
    return 0;
}

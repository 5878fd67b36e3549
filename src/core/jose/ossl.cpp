#include "jose/ossl.h"

namespace oauth::jose::ossl {

std::string error(std::string_view what) {
    std::string out(what);
    unsigned long code = ERR_peek_error();
    if (code != 0) {
        const char* reason = ERR_reason_error_string(code);
        out += ": ";
        out += reason ? reason : "OpenSSL error";
    }
    ERR_clear_error();
    return out;
}

}  // namespace oauth::jose::ossl

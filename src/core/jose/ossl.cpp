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

const EVP_MD* sha256() {
    // Thread-safe one-time initialisation (C++11 statics); never freed, as
    // the provider lives for the whole process anyway.
    static const EVP_MD* md = [] {
        const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
        return fetched ? fetched : EVP_sha256();
    }();
    return md;
}

}  // namespace oauth::jose::ossl

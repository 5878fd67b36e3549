// The DPoP proof parser and verifier (RFC 9449 §4.3) on arbitrary input:
// the header value a client sends, the request it is compared with, and,
// when the flags ask, a resource request's access token and bound key.
// Input: [flags]proof\0url\0access_token\0jkt; the seeds are real proofs
// signed by the test keys around the harnesses' clock (make_seeds.py).
#include <cstdio>
#include <cstdlib>

#include "dpop/proof.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Parts in(data, size);
    uint8_t flags = in.byte();
    std::string_view proof = in.next();
    std::string_view url = in.next();
    std::string_view token = in.next();
    std::string_view jkt = in.rest();
    oauth::dpop::Expect e{.method = (flags & 1) ? "POST" : "GET",
                          .url = url,
                          .now = fuzz::kNow,
                          .leeway = (flags & 2) ? 0 : 30,
                          .access_token = (flags & 4) ? token : std::string_view(),
                          .jkt = (flags & 8) ? jkt : std::string_view()};
    auto p = oauth::dpop::verify_proof(proof, e);
    if (p) {
        // What passed must satisfy the rules it was checked against.
        if (p->jti.empty() || p->jti.size() > oauth::dpop::kMaxJtiSize || p->jkt.empty() ||
            (!e.jkt.empty() && p->jkt != e.jkt) || p->iat < fuzz::kNow - e.leeway ||
            p->iat > fuzz::kNow + e.leeway) {
            std::fprintf(stderr, "a proof passed against its rules\n");
            std::abort();
        }
    }
    (void)oauth::dpop::same_url(proof, url);
    return 0;
}

// Records read back from Redis are input too: every stored record's parser
// on arbitrary text. Input: [which record] text.
#include "fuzz_support.h"
#include "oauth/browser/code.h"
#include "oauth/device/record.h"
#include "oauth/browser/pending.h"
#include "oauth/browser/sso.h"
#include "store/records.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Parts in(data, size);
    uint8_t which = in.byte();
    std::string_view text = in.rest();
    switch (which % 7) {
    case 0: (void)oauth::store::parse_client(text); break;
    case 1: (void)oauth::store::parse_user(text); break;
    case 2: (void)oauth::store::parse_access_session(text); break;
    case 3: (void)oauth::authz::parse_pending(text); break;
    case 4: (void)oauth::sso::parse(text, "sid"); break;
    case 5: (void)oauth::device::parse_record(text); break;
    case 6: (void)oauth::authz::parse_code(text); break;
    }
    return 0;
}

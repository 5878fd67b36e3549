#include "oauth/device_store.h"

namespace oauth::device {

std::string wrong_code_key(const store::Keys& keys, std::string_view sub) {
    // sub is a base64url id (no ':'), so this family collides with no other.
    return keys.prefix() + "devtry:" + std::string(sub);
}

}  // namespace oauth::device

#include "store/keys.h"

namespace oauth::store {

namespace {

// Family ids are token::new_id() values: base64url, 22 characters. A longer
// bound leaves room without letting a hostile token pick any tag.
constexpr size_t kMaxFamilyId = 64;

bool is_base64url(std::string_view s) {
    for (char c : s) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

std::optional<std::string_view> Keys::family_of(std::string_view token) {
    size_t dot = token.find('.');
    if (dot == std::string_view::npos || dot == 0 || dot > kMaxFamilyId || dot + 1 == token.size())
        return std::nullopt;
    std::string_view fid = token.substr(0, dot);
    if (!is_base64url(fid)) return std::nullopt;
    return fid;
}

std::string Keys::family_member(std::string_view fid, std::string_view random) {
    std::string out;
    out.reserve(fid.size() + 1 + random.size());
    out.append(fid).append(".").append(random);
    return out;
}

std::string Keys::access(std::string_view jti) const {
    if (auto fid = family_of(jti)) return family_access_prefix(*fid).append(jti.substr(fid->size() + 1));
    return cat("at:", jti);
}

std::optional<std::string> Keys::jti_of_access(std::string_view key) const {
    std::string head = p_ + "at:";
    if (!key.starts_with(head)) return std::nullopt;
    std::string_view rest = key.substr(head.size());
    std::string jti;
    if (rest.starts_with("{")) {
        // {FID}.R names the family token FID.R
        size_t close = rest.find('}');
        if (close == std::string_view::npos || close + 1 >= rest.size() || rest[close + 1] != '.')
            return std::nullopt;
        jti.append(rest.substr(1, close - 1)).append(rest.substr(close + 1));
    } else {
        jti.assign(rest);
    }
    // Exactly the key access() makes of it, or no token's key at all.
    if (jti.empty() || access(jti) != key) return std::nullopt;
    return jti;
}

std::optional<std::string> Keys::refresh(std::string_view token) const {
    auto fid = family_of(token);
    if (!fid) return std::nullopt;
    return family_refresh_prefix(*fid).append(secret_key_id(token));
}

}  // namespace oauth::store

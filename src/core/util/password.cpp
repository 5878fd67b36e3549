#include "util/password.h"

#include <openssl/evp.h>

#include <charconv>
#include <optional>
#include <stdexcept>

#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::util {

namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;
// Bounds on what a stored hash may ask for: ln <= 20 and r*p small keep the
// memory below 1 GiB and refuse absurd work.
constexpr int kMaxLn = 20, kMaxR = 32, kMaxP = 16;
constexpr uint64_t kMaxMem = 1ull << 30;

std::optional<std::string> derive(std::string_view secret, std::string_view salt, ScryptCost c,
                                  size_t len = kKeyBytes) {
    std::string out(len, '\0');
    uint64_t n = 1ull << c.ln;
    // scrypt needs 128*r*N bytes for V plus 128*r*p for B; give headroom.
    uint64_t maxmem = 128ull * c.r * (n + c.p + 2) + (1 << 20);
    if (maxmem > kMaxMem) return std::nullopt;
    if (EVP_PBE_scrypt(secret.data(), secret.size(),
                       reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n,
                       static_cast<uint64_t>(c.r), static_cast<uint64_t>(c.p), maxmem,
                       reinterpret_cast<unsigned char*>(out.data()), out.size()) != 1)
        return std::nullopt;
    return out;
}

std::optional<int> param(std::string_view part, std::string_view name) {
    if (!part.starts_with(name) || part.size() <= name.size() || part[name.size()] != '=')
        return std::nullopt;
    int v = 0;
    auto s = part.substr(name.size() + 1);
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
    return v;
}

}  // namespace

std::string hash_secret(std::string_view secret, ScryptCost cost) {
    std::string salt = random_bytes(kSaltBytes);
    auto dk = derive(secret, salt, cost);
    if (!dk) throw std::runtime_error("scrypt failed");
    return "$scrypt$ln=" + std::to_string(cost.ln) + ",r=" + std::to_string(cost.r) +
           ",p=" + std::to_string(cost.p) + "$" + base64_encode(salt) + "$" + base64_encode(*dk);
}

bool verify_secret(std::string_view secret, std::string_view encoded) {
    constexpr std::string_view head = "$scrypt$";
    if (!encoded.starts_with(head)) return false;
    std::string_view rest = encoded.substr(head.size());
    size_t d1 = rest.find('$');
    if (d1 == std::string_view::npos) return false;
    size_t d2 = rest.find('$', d1 + 1);
    if (d2 == std::string_view::npos) return false;
    std::string_view params = rest.substr(0, d1);
    auto salt = base64_decode(rest.substr(d1 + 1, d2 - d1 - 1));
    auto expected = base64_decode(rest.substr(d2 + 1));
    if (!salt || !expected || expected->empty() || expected->size() > 64) return false;

    size_t c1 = params.find(',');
    size_t c2 = c1 == std::string_view::npos ? c1 : params.find(',', c1 + 1);
    if (c2 == std::string_view::npos) return false;
    auto ln = param(params.substr(0, c1), "ln");
    auto r = param(params.substr(c1 + 1, c2 - c1 - 1), "r");
    auto p = param(params.substr(c2 + 1), "p");
    if (!ln || !r || !p || *ln < 1 || *ln > kMaxLn || *r < 1 || *r > kMaxR || *p < 1 ||
        *p > kMaxP)
        return false;

    auto dk = derive(secret, *salt, ScryptCost{*ln, *r, *p}, expected->size());
    if (!dk) return false;
    return constant_time_equal(*dk, *expected);
}

const std::string& unmatchable_hash(ScryptCost cost) {
    if (cost == kClientSecretCost) {
        static const std::string client_secret = hash_secret(random_bytes(32), kClientSecretCost);
        return client_secret;
    }
    static const std::string password = hash_secret(random_bytes(32), kPasswordCost);
    return password;
}

}  // namespace oauth::util

// Loading and classifying signing keys: everything here runs at configuration
// time, so its messages are written for the person reading `nginx -t`.
#include "jose/key.h"

#include <openssl/pem.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "jose/ossl.h"

namespace oauth::jose {

namespace {

// A PEM key is a few kilobytes; anything far larger is not a key file.
constexpr size_t kMaxKeyFileSize = 1024 * 1024;
// RFC 7518 §3.3: "A key of size 2048 bits or larger MUST be used".
constexpr int kMinRsaBits = 2048;
// Beyond this RSA signing gets slow enough to hurt the token endpoint and
// nobody needs it; refusing also bounds the work a hostile config can cause.
constexpr int kMaxRsaBits = 16384;
constexpr size_t kMaxKidLength = 256;

// Never prompt for a passphrase (the default callback reads the terminal,
// which would hang `nginx -t`): encrypted keys simply fail to load.
int no_passphrase(char*, int, int, void*) { return -1; }

std::expected<std::string, std::string> read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::unexpected(std::strerror(errno));
    std::string data;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            ::close(fd);
            return std::unexpected(std::strerror(e));
        }
        if (n == 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (data.size() > kMaxKeyFileSize) {
            ::close(fd);
            return std::unexpected("file too large for a PEM key");
        }
    }
    ::close(fd);
    return data;
}

std::string why_no_private_key(std::string_view pem) {
    if (pem.find("ENCRYPTED") != std::string_view::npos)
        return "encrypted private keys are not supported (store the key unencrypted, "
               "readable by the nginx master only)";
    if (pem.find("-----BEGIN PUBLIC KEY-----") != std::string_view::npos ||
        pem.find("-----BEGIN RSA PUBLIC KEY-----") != std::string_view::npos)
        return "this is a public key; a signing key must be a PEM private key";
    if (pem.find("-----BEGIN CERTIFICATE-----") != std::string_view::npos)
        return "this is a certificate; a signing key must be a PEM private key";
    return "no PEM private key found";
}

std::string ec_group_name(EVP_PKEY* pkey) {
    char name[80];
    size_t len = 0;
    if (EVP_PKEY_get_group_name(pkey, name, sizeof(name), &len) != 1) {
        ERR_clear_error();
        return {};
    }
    return std::string(name, len);
}

// RFC 7518 §3.1 and RFC 8037 §3.1: which algorithm this key signs with, or
// why it cannot be used.
std::expected<Alg, std::string> classify(EVP_PKEY* pkey) {
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        int bits = EVP_PKEY_get_bits(pkey);
        if (bits < kMinRsaBits)
            return std::unexpected("RSA key under 2048 bits (" + std::to_string(bits) +
                                   " bits); RFC 7518 section 3.3 requires 2048 or more");
        if (bits > kMaxRsaBits)
            return std::unexpected("RSA key over 16384 bits (" + std::to_string(bits) +
                                   " bits) is not supported");
        return Alg::RS256;
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        std::string group = ec_group_name(pkey);
        if (group == "prime256v1" || group == "P-256" || group == "secp256r1")
            return Alg::ES256;
        return std::unexpected("unsupported EC curve " +
                               (group.empty() ? std::string("(explicit parameters)") : group) +
                               "; only P-256 (ES256) is supported");
    }
    if (EVP_PKEY_is_a(pkey, "ED25519")) return Alg::EdDSA;
    const char* type = EVP_PKEY_get0_type_name(pkey);
    return std::unexpected(std::string("unsupported key type ") + (type ? type : "(unknown)") +
                           "; use RSA (2048 bits or more), EC P-256 or Ed25519");
}

bool kid_ok(std::string_view kid) {
    if (kid.size() > kMaxKidLength) return false;
    for (unsigned char c : kid)
        if (c < 0x21 || c > 0x7e) return false;  // printable ASCII, no space
    return true;
}

}  // namespace

std::string_view alg_name(Alg alg) {
    switch (alg) {
    case Alg::RS256: return "RS256";
    case Alg::ES256: return "ES256";
    case Alg::EdDSA: return "EdDSA";
    }
    return {};
}

std::optional<Alg> alg_from_name(std::string_view name) {
    // Case-sensitive on purpose: RFC 7515 §4.1.1 "alg" values are.
    if (name == "RS256") return Alg::RS256;
    if (name == "ES256") return Alg::ES256;
    if (name == "EdDSA") return Alg::EdDSA;
    return std::nullopt;
}

std::expected<std::shared_ptr<const Key>, std::string>
Key::from_pem(std::string_view pem, std::string_view kid) {
    if (!kid_ok(kid))
        return std::unexpected("kid must be at most 256 printable ASCII characters "
                               "without spaces");
    ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return std::unexpected(ossl::error("cannot read the key"));
    PkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    if (!pkey) {
        ERR_clear_error();
        return std::unexpected(why_no_private_key(pem));
    }
    auto alg = classify(pkey.get());
    if (!alg) return std::unexpected(alg.error());

    std::shared_ptr<const Key> key;
    try {
        key = std::make_shared<const Key>(std::move(pkey), *alg, std::string(kid));
    } catch (const std::runtime_error& e) {
        return std::unexpected(e.what());
    }
    // Prove the key works for what it is for before anything relies on it:
    // a corrupt key (p*q != n, point off the curve) fails here, not on the
    // first token request.
    static constexpr std::string_view probe = "oauth key self-test";
    try {
        if (!key->verify(probe, key->sign(probe)))
            return std::unexpected("the key fails a sign/verify self-test (corrupt key?)");
    } catch (const std::runtime_error& e) {
        return std::unexpected(std::string("the key cannot sign: ") + e.what());
    }
    return key;
}

std::expected<std::shared_ptr<const Key>, std::string>
Key::load_file(const std::string& path, std::string_view kid) {
    auto pem = read_file(path);
    if (!pem) return std::unexpected("cannot read key \"" + path + "\": " + pem.error());
    auto key = from_pem(*pem, kid);
    // The PEM text holds the private key: wipe our copy.
    OPENSSL_cleanse(pem->data(), pem->size());
    if (!key) return std::unexpected("key \"" + path + "\": " + key.error());
    return key;
}

}  // namespace oauth::jose

// Proof headers already checked, one cache per worker process. A client
// signs every proof with the same key, so the first part of its proofs
// (typ, alg, jwk) is the same bytes each time; importing the jwk is about
// 40 us (EC point decoding and its on-curve check, the thumbprint), close
// to the signature check itself. This remembers, by those exact bytes, the
// public key they carry and the algorithm they name: it is a pure function
// of the bytes, so nothing is trusted that the bytes do not say, and the
// signature, claims and jti of every proof are still checked every time.
// Bounded: past the capacity it is emptied (a flood of keys costs what no
// cache would).
#pragma once
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "jose/key.h"

namespace oauth::dpop {

struct CheckedHeader {
    jose::KeyPtr key;   // public only; kid() is its RFC 7638 thumbprint
    bool pss = false;   // alg PS256: RSASSA-PSS rather than the key's own
};

class HeaderCache {
public:
    static constexpr size_t kCapacity = 4096;
    static constexpr size_t kMaxHeader = 2048;  // longer ones are not kept

    std::optional<CheckedHeader> find(std::string_view header_part) const;
    void insert(std::string_view header_part, CheckedHeader checked);
    size_t size() const;
    void clear();

    static HeaderCache& process();

private:
    mutable std::mutex mu_;  // the event loop is one thread; cheap insurance
    std::unordered_map<std::string, CheckedHeader> map_;
};

}  // namespace oauth::dpop

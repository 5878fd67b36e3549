// Revoking everything of a client or a subject (oauthctl session revoke
// --client/--sub, client delete, user delete) slot by slot (SPEC §7): read
// the indexes (one key each), then revoke each family with its own script
// call (one slot each), delete each family-less token and SSO session, and
// finally the index entries read. Not atomic as a whole (no single slot
// holds it all); each family goes all at once, and a token issued meanwhile
// is indexed before it exists (store/index.h), so a second run catches it:
// a bucket loses only the members read (SREM), never one added since.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"
#include "store/keys.h"

namespace oauth::store {

enum class RevokeAllOf { Client, Subject };

struct RevokeAll {
    // `now` places the window of a client's token buckets (live_buckets).
    RevokeAll(const Keys& keys, RevokeAllOf of, std::string_view id, int64_t now);

    // Step 1: ZRANGE of each index (families; then family-less tokens of the
    // layout before buckets for a client, SSO sessions for a subject), then
    // for a client SMEMBERS of every bucket a live token can be in (most are
    // absent: send them in one round trip).
    std::vector<flow::Command> reads() const;
    // Step 2, from the replies to reads(): one REVOKE_FAMILY call per family
    // first (`families` of them), then the DEL of each family-less token or
    // SSO session, then of the two sorted-set indexes, then an SREM of what
    // was read from each non-empty bucket. A reply missing or unreadable
    // throws std::runtime_error.
    struct Writes {
        std::vector<flow::Command> commands;
        size_t families = 0;
    };
    Writes writes(flow::Replies index_replies) const;
    // From the replies to writes(): how many families were revoked.
    static int64_t families_revoked(const Writes& w, flow::Replies write_replies);

private:
    const Keys& keys_;
    RevokeAllOf of_;
    std::string family_index_, other_index_;
    std::vector<std::string> buckets_;  // Client: the keys of live_buckets(now)
};

}  // namespace oauth::store

// The indexes of keys.h. Families (idx:client, idx:sub) are sorted sets of
// fid -> exp, one key each; family-less tokens (client_credentials) go into
// small per-client buckets that expire whole (idx:ccb). Each command touches
// one key, so one slot. They are written with plain commands (no script:
// cheaper for Redis, and an index is in another slot than the family or
// token it lists).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"

namespace oauth::store {

// Appends: ZADD key exp member; ZREMRANGEBYSCORE key -inf now (drops ended
// members); EXPIRE key ttl NX and EXPIRE key ttl GT, so the index lives at
// least as long as its newest member and is never shortened (Redis >= 7.0).
void index_add(std::vector<flow::Command>& out, const std::string& key, std::string_view member,
               int64_t exp, int64_t now, int64_t ttl);

// The bucket rule of family-less tokens (keys.h, idx:ccb). A token goes into
// the bucket of its exp: number n = exp / width, where the width is a pure
// function of the token's life (the smallest power of two of at least
// 1/kBucketsPerLife of it, 16 s to 2^35 s). So no bucket is ever pruned (it
// expires whole, kBucketSlack after the last exp it can hold), and a revoke
// needs no record of what was issued: for each width, the live tokens of that
// width have exp within now + kBucketsPerLife widths, a fixed window of
// buckets (live_buckets). nginx accepts any oauth_access_token_ttl, it may
// change on reload and differ between servers: the width follows each token.
inline constexpr int64_t kBucketsPerLife = 8;
inline constexpr int kBucketMinWidthLog = 4;   // 16 s
inline constexpr int kBucketMaxWidthLog = 35;  // 8 x 2^35 s is past kMaxEpoch
// How long a bucket outlives its last exp, and how far revoke looks around its
// own clock: the clocks of nginx, Redis and oauthctl may differ this much.
inline constexpr int64_t kBucketSlack = 60;

struct TokenBucket {
    int64_t width = 0, number = 0;
    // When Redis drops it (EXPIREAT): past every exp it can hold, plus slack.
    int64_t expire_at() const { return (number + 1) * width + kBucketSlack; }
    bool operator==(const TokenBucket&) const = default;
};

int64_t bucket_width(int64_t ttl);
TokenBucket bucket_of(int64_t exp, int64_t ttl);
// Every bucket that can hold a token alive at `now` (about 350, most of them
// absent keys), widths ascending, numbers ascending.
std::vector<TokenBucket> live_buckets(int64_t now);

// Appends: SADD key member; EXPIREAT key expire_at NX (the same instant for
// every member of the bucket, so only the first add sets it).
void bucket_add(std::vector<flow::Command>& out, const std::string& key, std::string_view member,
                int64_t expire_at);

}  // namespace oauth::store

#include "store/index.h"

#include <algorithm>

namespace oauth::store {

void index_add(std::vector<flow::Command>& out, const std::string& key, std::string_view member,
               int64_t exp, int64_t now, int64_t ttl) {
    std::string t = std::to_string(ttl);
    out.push_back({"ZADD", key, std::to_string(exp), std::string(member)});
    out.push_back({"ZREMRANGEBYSCORE", key, "-inf", std::to_string(now)});
    out.push_back({"EXPIRE", key, t, "NX"});
    out.push_back({"EXPIRE", key, t, "GT"});
}

int64_t bucket_width(int64_t ttl) {
    int log = kBucketMinWidthLog;
    while (log < kBucketMaxWidthLog && (int64_t{1} << log) * kBucketsPerLife < ttl) ++log;
    return int64_t{1} << log;
}

TokenBucket bucket_of(int64_t exp, int64_t ttl) {
    int64_t w = bucket_width(ttl);
    return {w, std::max<int64_t>(exp, 0) / w};
}

std::vector<TokenBucket> live_buckets(int64_t now) {
    std::vector<TokenBucket> out;
    for (int log = kBucketMinWidthLog; log <= kBucketMaxWidthLog; ++log) {
        int64_t w = int64_t{1} << log;
        // A live token of width w ended no earlier than now - slack and was
        // issued no later than now + slack with a life of at most
        // kBucketsPerLife widths (bucket_width).
        int64_t first = std::max<int64_t>(now - kBucketSlack, 0) / w;
        int64_t last = (now + kBucketSlack) / w + kBucketsPerLife;
        for (int64_t n = first; n <= last; ++n) out.push_back({w, n});
    }
    return out;
}

void bucket_add(std::vector<flow::Command>& out, const std::string& key, std::string_view member,
                int64_t expire_at) {
    out.push_back({"SADD", key, std::string(member)});
    out.push_back({"EXPIREAT", key, std::to_string(expire_at), "NX"});
}

}  // namespace oauth::store

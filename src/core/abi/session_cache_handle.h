// What an oauth_session_cache_t is (include/oauth_session_cache.h): the
// worker's cache and its invalidation link. Shared by the two ABI files.
#pragma once
#include "oauth_session_cache.h"
#include "require/invalidation.h"

struct oauth_session_cache_s {
    oauth::require::InvalidationLink link;
};

// Remembered consents, found by user and/or client (consents.cpp).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "redis_conn.h"

namespace oauthctl {

// Deletes the remembered consents of `sub` and/or `client_id` (nullopt: any;
// not both nullopt); returns how many there were.
int64_t forget_consents(Redis& redis, const std::string& prefix,
                        const std::optional<std::string>& sub,
                        const std::optional<std::string>& client_id);

}  // namespace oauthctl

// What the C ABI's opaque oauth_server_t is, for every C++ file that
// implements an entry point taking one (flow/abi.cpp, require/abi.cpp).
#pragma once
#include "flow/server.h"

struct oauth_server_s {
    oauth::flow::ServerConfig config;
};

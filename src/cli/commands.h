// oauthctl commands (SPEC §6). Each prints JSON on stdout or throws
// (Usage -> exit 2, Failure -> exit 1, message on stderr).
#pragma once
#include <string>
#include <vector>

#include <jansson.h>

#include "redis_conn.h"

namespace oauthctl {

struct Globals {
    RedisOptions redis;
    std::string prefix = "oauth:";
};

// The output of every command: one JSON document and a newline on stdout.
void print(const json_t* j);

// words: what follows the command's two words (e.g. after "client create").
void client_create(const Globals& g, const std::vector<std::string>& words);
void client_list(const Globals& g, const std::vector<std::string>& words);
void client_show(const Globals& g, const std::vector<std::string>& words);
void client_delete(const Globals& g, const std::vector<std::string>& words);
void client_rotate_secret(const Globals& g, const std::vector<std::string>& words);
void user_create(const Globals& g, const std::vector<std::string>& words);
void user_delete(const Globals& g, const std::vector<std::string>& words);
void session_revoke(const Globals& g, const std::vector<std::string>& words);
void consent_list(const Globals& g, const std::vector<std::string>& words);
void consent_revoke(const Globals& g, const std::vector<std::string>& words);
void key_generate(const Globals& g, const std::vector<std::string>& words);

}  // namespace oauthctl

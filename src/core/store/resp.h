// Redis commands as RESP bytes (through hiredis's formatter): the one
// writer for every command the core hands to the glue, the endpoints'
// steps and the edge's session, replay and invalidation commands alike.
#pragma once
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace oauth::store {

// Appends one command (argv) to out. hiredis's buffer is wiped before it is
// freed: an argument may be a secret (AUTH's password). Throws bad_alloc.
void append_resp(std::string& out, std::span<const std::string_view> argv);
void append_resp(std::string& out, std::span<const std::string> argv);
inline void append_resp(std::string& out, std::initializer_list<std::string_view> argv) {
    append_resp(out, std::span<const std::string_view>(argv.begin(), argv.size()));
}

// Every command of a step, one after the other.
std::string resp(std::span<const std::vector<std::string>> commands);

}  // namespace oauth::store

#include "store/resp.h"

#include <hiredis/hiredis.h>

#include <cstring>
#include <new>

namespace oauth::store {

namespace {

// Up to kInline arguments on the stack: the edge's commands (EXISTS, the
// replay SET) format without a heap array.
constexpr size_t kInline = 8;

template <class Arg>
void append_argv(std::string& out, std::span<const Arg> argv) {
    const char* inline_ptrs[kInline];
    size_t inline_lens[kInline];
    std::vector<const char*> heap_ptrs;
    std::vector<size_t> heap_lens;
    const char** ptrs = inline_ptrs;
    size_t* lens = inline_lens;
    if (argv.size() > kInline) {
        heap_ptrs.resize(argv.size());
        heap_lens.resize(argv.size());
        ptrs = heap_ptrs.data();
        lens = heap_lens.data();
    }
    for (size_t i = 0; i < argv.size(); i++) {
        ptrs[i] = argv[i].data();
        lens[i] = argv[i].size();
    }
    char* buf = nullptr;
    int n = redisFormatCommandArgv(&buf, static_cast<int>(argv.size()), ptrs, lens);
    if (n < 0 || !buf) throw std::bad_alloc();
    // Wiped and freed however append() ends.
    struct Wipe {
        char* buf;
        size_t n;
        ~Wipe() {
            std::memset(buf, 0, n);
            redisFreeCommand(buf);
        }
    } wipe{buf, static_cast<size_t>(n)};
    out.append(buf, wipe.n);
}

}  // namespace

void append_resp(std::string& out, std::span<const std::string_view> argv) { append_argv(out, argv); }

void append_resp(std::string& out, std::span<const std::string> argv) { append_argv(out, argv); }

std::string resp(std::span<const std::vector<std::string>> commands) {
    std::string out;
    for (const auto& argv : commands) append_resp(out, std::span<const std::string>(argv));
    return out;
}

}  // namespace oauth::store

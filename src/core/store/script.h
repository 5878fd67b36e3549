// Lua scripts for the atomic multi-key steps, run with EVALSHA (the SHA1 is
// computed once, with OpenSSL). Redis answers NOSCRIPT when it has not seen a
// script yet (or after SCRIPT FLUSH / a restart): RedisFlow then re-sends the
// same call as EVAL, which costs one extra round trip and loads the script for
// every later EVALSHA.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow.h"

namespace oauth::store {

class Script {
public:
    // Registers the script so that as_eval() can find its source by SHA1.
    explicit Script(std::string source);
    Script(const Script&) = delete;
    Script& operator=(const Script&) = delete;

    const std::string& source() const { return source_; }
    const std::string& sha1() const { return sha1_; }

    // EVALSHA sha1 numkeys keys... args...
    flow::Command call(const std::vector<std::string>& keys, const std::vector<std::string>& args) const;

private:
    std::string source_;
    std::string sha1_;
};

// The same call as EVAL when cmd is an EVALSHA of a registered script.
std::optional<flow::Command> as_eval(const flow::Command& cmd);

// A flow whose Redis steps may call scripts. It remembers each Redis step; when
// a reply is NOSCRIPT it re-sends that step once with every EVALSHA turned
// into EVAL, before the subclass sees any reply. Because the whole step is
// re-sent, a step holding a script call must hold nothing that is unsafe to
// run twice besides it (a script that got NOSCRIPT did not run).
class RedisFlow : public flow::Flow {
public:
    using flow::Flow::Flow;

    flow::Step start() final { return remember(begin()); }
    flow::Step on_redis(flow::Replies replies) final;
    flow::Step on_offload() final { return remember(offloaded()); }
    flow::Step on_busy() final { return remember(busy()); }

protected:
    virtual flow::Step begin() = 0;
    virtual flow::Step replied(flow::Replies replies) = 0;
    virtual flow::Step offloaded();
    virtual flow::Step busy() { return flow::Flow::on_busy(); }

private:
    flow::Step remember(flow::Step s);
    std::vector<flow::Command> last_;
    bool retried_ = false;
};

}  // namespace oauth::store

// oauthctl's blocking Redis connection (hiredis): a command-line tool may
// wait; nginx workers never use this.
#pragma once
#include <hiredis/hiredis.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace oauthctl {

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ReplyFree {
    void operator()(redisReply* r) const noexcept { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

struct RedisOptions {
    std::string address = "127.0.0.1:6379";  // host:port or unix:PATH
    int db = 0;
    std::string password;
    // --redis-sentinel/--redis-master: the address is the primary they name
    std::vector<std::string> sentinels;
    std::string master;
    std::string sentinel_password;
};

class Redis {
public:
    explicit Redis(const RedisOptions& options);
    ~Redis();
    Redis(const Redis&) = delete;
    Redis& operator=(const Redis&) = delete;

    // Runs one command; throws Failure on I/O errors and on error replies.
    Reply run(const std::vector<std::string>& argv);

private:
    redisContext* ctx_ = nullptr;
};

}  // namespace oauthctl

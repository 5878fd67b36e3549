// oauthctl's blocking Redis connection (hiredis): a command-line tool may
// wait; nginx workers never use this.
#pragma once
#include <hiredis/hiredis.h>

#include <map>
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
    // --redis-cluster H:P[,H:P...]: seeds; commands go by slot (SPEC 7)
    std::vector<std::string> cluster;
};

class Redis {
public:
    explicit Redis(const RedisOptions& options);
    ~Redis();
    Redis(const Redis&) = delete;
    Redis& operator=(const Redis&) = delete;

    // Runs one command; throws Failure on I/O errors and on error replies.
    // On a Cluster: to the node of its key's slot (store/cluster.h), once
    // more to the node a MOVED names (after reading the map again), or with
    // ASKING to the node an ASK names.
    Reply run(const std::vector<std::string>& argv);
    // Runs them all in one round trip (per Cluster node; per 4096 commands)
    // and answers their replies in order; the same errors as run(), raised once every reply
    // is read (the connections stay usable). A command a Cluster redirects
    // is run again alone, with run().
    std::vector<Reply> pipeline(const std::vector<std::vector<std::string>>& commands);

private:
    redisContext* connect(const std::string& address);
    Reply send(redisContext* ctx, const std::vector<std::string>& argv);
    void append(redisContext* ctx, const std::vector<std::string>& argv);
    Reply receive(redisContext* ctx);
    std::string target(const std::vector<std::string>& argv) const;  // Cluster
    redisContext* node(const std::string& address);
    void read_slots();

    RedisOptions options_;
    redisContext* ctx_ = nullptr;                  // one server
    std::map<std::string, redisContext*> nodes_;   // Cluster: by "host:port"
    std::vector<std::string> slots_;               // Cluster: slot -> node
};

}  // namespace oauthctl

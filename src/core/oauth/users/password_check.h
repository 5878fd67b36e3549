// The one rule for checking a user's password, shared by the login page
// (oauth/login.cpp) and the password grant (oauth/grant_password.cpp):
//
//   1. fields within bounds (else wrong, at no cost);
//   2. one Redis step: the user record and the user name's reservation
//      (oauth/login_limit.h), together; then, when addresses are counted,
//      the address's reservation (a step of its own: another slot on a
//      Cluster, and taken only while the user's is held); an address that
//      refuses gets the user's reservation back first (a third step);
//   3. limited: refused before the KDF, whatever the password (the right one
//      too), so a limited attempt costs no scrypt;
//   4. the KDF on the thread pool, against a dummy hash when the user does not
//      exist (the same cost, so timing does not tell which names exist);
//   5. success: give the reservation back (a Redis step of its own: the
//      step's script may be re-sent on NOSCRIPT, so it must not share a step
//      with a write); failure: the reservation stays as the counted failure.
#pragma once
#include <hiredis/hiredis.h>

#include <cstdint>
#include <optional>
#include <string>

#include "flow/flow.h"
#include "oauth/users/login_limit.h"
#include "store/keys.h"
#include "store/records.h"

namespace oauth::password {

inline constexpr size_t kMaxUsername = 256;
inline constexpr size_t kMaxPassword = 1024;  // bounds the KDF's input

class Check {
public:
    Check(const flow::ServerConfig& server, const store::Keys& keys, std::string username,
          std::string password, std::string_view client_address);

    // Empty or oversized fields: wrong without a lookup, a count or a KDF.
    bool within_bounds() const;
    // The lookup step's commands: {GET user, RESERVE user}.
    std::vector<flow::Command> lookup() const;

    // Redis: run pending() and give its replies to looked_up() again.
    enum class Next { Offload, Limited, Unavailable, Redis };
    // Each lookup step's replies, in order.
    Next looked_up(flow::Replies replies);
    const std::vector<flow::Command>& pending() const { return pending_; }
    int64_t retry_after() const { return retry_after_; }

    // On the thread pool.
    void run();
    // nullopt when run() did not finish (an exception): the caller answers 500.
    std::optional<bool> verified() const { return verified_; }
    // Set once verified() is true.
    const store::User& user() const { return *user_; }
    bool known_user() const { return user_.has_value(); }

    // The reservations back: after a success, or when the KDF could not run.
    std::vector<flow::Command> release() const { return attempt_.release(counted_); }

private:
    std::string username_, password_;
    store::Keys keys_;
    login_limit::Attempt attempt_;
    std::optional<store::User> user_;
    std::optional<bool> verified_;
    int64_t retry_after_ = 0;
    enum class Stage { User, Address, GiveBack } stage_ = Stage::User;
    size_t counted_ = 0;  // reservations held
    std::vector<flow::Command> pending_;
};

}  // namespace oauth::password

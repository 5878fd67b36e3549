// A small command-line reader: `--name value` or `--name=value`, repeatable
// options, positional words; anything unknown is an error.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace oauthctl {

struct Usage : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Args {
public:
    // valued: options taking a value; flags: options without one.
    Args(const std::vector<std::string>& words, const std::set<std::string>& valued,
         const std::set<std::string>& flags);

    std::optional<std::string> get(const std::string& name) const;
    std::string required(const std::string& name) const;
    const std::vector<std::string>& all(const std::string& name) const;
    bool flag(const std::string& name) const { return flags_.contains(name); }
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::map<std::string, std::vector<std::string>> values_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_;
};

}  // namespace oauthctl

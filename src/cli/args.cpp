#include "args.h"

namespace oauthctl {

Args::Args(const std::vector<std::string>& words, const std::set<std::string>& valued,
           const std::set<std::string>& flags) {
    for (size_t i = 0; i < words.size(); i++) {
        const std::string& w = words[i];
        if (!w.starts_with("--")) {
            positional_.push_back(w);
            continue;
        }
        std::string name = w.substr(2), value;
        bool inline_value = false;
        if (size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inline_value = true;
        }
        if (flags.contains(name)) {
            if (inline_value) throw Usage("--" + name + " takes no value");
            flags_.insert(name);
        } else if (valued.contains(name)) {
            if (!inline_value) {
                if (i + 1 >= words.size()) throw Usage("--" + name + " needs a value");
                value = words[++i];
            }
            values_[name].push_back(value);
        } else {
            throw Usage("unknown option --" + name);
        }
    }
}

std::optional<std::string> Args::get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    if (it->second.size() > 1) throw Usage("--" + name + " given more than once");
    return it->second.front();
}

std::string Args::required(const std::string& name) const {
    auto v = get(name);
    if (!v || v->empty()) throw Usage("--" + name + " is required");
    return *v;
}

const std::vector<std::string>& Args::all(const std::string& name) const {
    static const std::vector<std::string> none;
    auto it = values_.find(name);
    return it == values_.end() ? none : it->second;
}

}  // namespace oauthctl

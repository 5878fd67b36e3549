#include "oauth/device/record.h"

#include "store/bounds.h"
#include "util/crypto.h"
#include "util/encoding.h"

namespace oauth::device {

std::string_view status_name(Status s) {
    switch (s) {
    case Status::Approved: return "approved";
    case Status::Denied: return "denied";
    case Status::Pending: break;
    }
    return "pending";
}

namespace {

std::optional<Status> status_from_name(std::string_view name) {
    if (name == "pending") return Status::Pending;
    if (name == "approved") return Status::Approved;
    if (name == "denied") return Status::Denied;
    return std::nullopt;
}

}  // namespace

std::string serialize(const Record& r) {
    json::Json o(json_object());
    json::set(o.get(), "client_id", r.client_id);
    json::set(o.get(), "scope", r.scope);
    json::set(o.get(), "status", status_name(r.status));
    json::set(o.get(), "sub", r.sub);
    json::set(o.get(), "username", r.username);
    json::set(o.get(), "auth_time", r.auth_time);
    json::set_new(o.get(), "claims",
                        r.claims ? json_incref(r.claims.get()) : json_object());
    json::set(o.get(), "interval", r.interval);
    json::set(o.get(), "last_poll", r.last_poll);
    json::set(o.get(), "iat", r.iat);
    json::set(o.get(), "exp", r.exp);
    return json::dump(o.get());
}

std::optional<Record> parse_record(std::string_view text) {
    json::Json o = json::parse_object(text);
    if (!o) return std::nullopt;
    auto client_id = json::get_string(o.get(), "client_id");
    auto scope = json::get_string(o.get(), "scope");
    auto status = status_from_name(json::get_string(o.get(), "status").value_or(""));
    auto interval = store::member(o.get(), "interval", store::kPollInterval);
    auto last_poll = store::member(o.get(), "last_poll", store::kInstant);
    auto iat = store::member(o.get(), "iat", store::kInstant);
    auto exp = store::member(o.get(), "exp", store::kInstant);
    auto auth_time = store::member_or(o.get(), "auth_time", store::kInstant, 0);
    if (!client_id || client_id->empty() || !scope || !status || !interval || !last_poll ||
        !iat || !exp || !auth_time)
        return std::nullopt;
    Record r;
    r.client_id = *client_id;
    r.scope = *scope;
    r.status = *status;
    r.sub = json::get_string(o.get(), "sub").value_or("");
    r.username = json::get_string(o.get(), "username").value_or("");
    r.auth_time = *auth_time;
    json_t* claims = json_object_get(o.get(), "claims");
    r.claims = json_is_object(claims) ? json::share(claims) : json::take(json_object());
    r.interval = *interval;
    r.last_poll = *last_poll;
    r.iat = *iat;
    r.exp = *exp;
    // An approval without a subject cannot be turned into tokens.
    if (r.status == Status::Approved && r.sub.empty()) return std::nullopt;
    return r;
}

std::string new_device_code() { return util::random_token(kDeviceCodeBytes); }

bool looks_like_device_code(std::string_view text) {
    if (text.size() != 43) return false;  // ceil(32 * 8 / 6), no padding
    return util::base64url_decode(text).has_value();
}

}  // namespace oauth::device

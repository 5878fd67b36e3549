#include "oauth/device/record.h"

#include "store/bounds.h"
#include "store/fields.h"
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

namespace {

// The record's one table (store/fields.h), in the order it is written; the
// status goes beside it (a name for an enum).
using F = store::Field<Record>;
const F kRecordFields[] = {
    store::required_string_field("client_id", &Record::client_id),
    store::required_string_field("scope", &Record::scope),
    store::string_field("sub", &Record::sub),
    store::string_field("username", &Record::username),
    store::integer_field("auth_time", &Record::auth_time, store::kInstant),
    store::object_field("claims", &Record::claims),
    store::required_integer_field("interval", &Record::interval, store::kPollInterval),
    store::required_integer_field("last_poll", &Record::last_poll, store::kInstant),
    store::required_integer_field("iat", &Record::iat, store::kInstant),
    store::required_integer_field("exp", &Record::exp, store::kInstant),
};

}  // namespace

std::string serialize(const Record& r) {
    json::Json o(json_object());
    store::write_fields<Record>(o.get(), r, kRecordFields);
    json::set(o.get(), "status", status_name(r.status));
    return json::dump(o.get());
}

std::optional<Record> parse_record(std::string_view text) {
    json::Json o = json::parse_object(text);
    Record r;
    if (!o || !store::read_fields<Record>(o.get(), r, kRecordFields) || r.client_id.empty())
        return std::nullopt;
    auto status = status_from_name(json::get_string(o.get(), "status").value_or(""));
    if (!status) return std::nullopt;
    r.status = *status;
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

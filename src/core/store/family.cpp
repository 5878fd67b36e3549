#include "store/family.h"


#include "json/json.h"
#include "store/bounds.h"
#include "store/reply.h"
#include "store/scripts.h"

namespace oauth::store {

namespace {

std::string field(const Family& f, std::string_view name) {
    auto it = f.fields.find(name);
    return it == f.fields.end() ? std::string() : it->second;
}

}  // namespace

std::optional<flow::Command> refresh_lookup(const Keys& keys, std::string_view refresh_token,
                                           bool revoke_on_reuse) {
    auto fid = Keys::family_of(refresh_token);
    auto key = keys.refresh(refresh_token);
    if (!fid || !key) return std::nullopt;
    return family_call(refresh_lookup_script(), keys, *fid, {*key},
                       {std::string(*fid), revoke_on_reuse ? "1" : "0"});
}

RefreshLookup parse_refresh_lookup(const redisReply* reply) {
    RefreshLookup out;
    if (is_error(reply) || reply->type != REDIS_REPLY_ARRAY || reply->elements < 1) {
        out.state = RefreshLookup::State::StoreError;
        return out;
    }
    auto status = as_string(reply->element[0]);
    if (!status) {
        out.state = RefreshLookup::State::StoreError;
        return out;
    }
    if (*status == "none") return out;
    if (*status == "reused") {
        out.state = RefreshLookup::State::Reused;
        if (reply->elements > 1) out.family.id = as_string(reply->element[1]).value_or("");
        return out;
    }
    if (*status != "ok" || reply->elements < 3 || (reply->elements - 3) % 2 != 0) {
        out.state = RefreshLookup::State::StoreError;
        return out;
    }
    Family& f = out.family;
    f.id = as_string(reply->element[1]).value_or("");
    for (size_t i = 3; i + 1 < reply->elements; i += 2) {
        auto k = as_string(reply->element[i]);
        auto v = as_string(reply->element[i + 1]);
        if (k && v) f.fields.emplace(std::string(*k), std::string(*v));
    }
    f.client_id = field(f, "client_id");
    f.sub = field(f, "sub");
    f.username = field(f, "username");
    f.scope = field(f, "scope");
    if (f.id.empty() || f.client_id.empty()) {
        out.state = RefreshLookup::State::StoreError;
        return out;
    }
    // A family whose numbers are out of range is malformed: as if absent
    // (store/bounds.h), so an ended family can never look alive.
    auto iat = parse_decimal(field(f, "iat"), kInstant);
    auto exp = parse_decimal(field(f, "exp"), kInstant);
    if (!iat || !exp) return RefreshLookup{};
    f.iat = *iat;
    f.exp = *exp;
    if (auto it = f.fields.find("auth_time"); it != f.fields.end()) {
        f.auth_time = parse_decimal(it->second, kInstant);
        if (!f.auth_time) return RefreshLookup{};
    }
    if (auto rec = as_string(reply->element[2])) {
        json::Json j = json::parse_object(*rec);
        if (j) {
            auto token_iat = member_or(j.get(), "iat", kInstant, 0);
            if (!token_iat) return RefreshLookup{};
            out.token_iat = *token_iat;
            out.token_id = json::get_string(j.get(), "rid").value_or("");
        }
    }
    out.state = RefreshLookup::State::Ok;
    return out;
}

}  // namespace oauth::store

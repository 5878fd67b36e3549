#include "oauth/tokens/issue.h"

#include <algorithm>

#include "dpop/binding.h"
#include "jose/jws.h"
#include "http/errors.h"
#include "oauth/tokens/resource.h"
#include "store/index.h"
#include "store/keys.h"
#include "store/reply.h"
#include "store/scripts.h"
#include "util/crypto.h"

namespace oauth::token {

std::string new_id() { return util::random_token(16); }

namespace {

// RFC 9068 §3, RFC 8707 §2: aud is the resource asked for (a string), the
// resources (an array), or the server's oauth_audience.
void set_audience(json_t* claims, const flow::ServerConfig& server, const std::vector<std::string>& resources) {
    std::vector<std::string> aud = resource::audience(server, resources);
    if (aud.size() == 1) return json::set(claims, "aud", aud.front());
    json_t* a = json_array();
    for (const auto& r : aud) json::append(a, r);
    json::set_new(claims, "aud", a);
}

}  // namespace

AccessToken mint_access_token(const flow::ServerConfig& server, std::string_view client_id,
                              std::string_view sub, std::string_view username,
                              std::string_view scope, std::string_view family_id, int64_t now,
                              int64_t ttl, const std::vector<std::string>& resources,
                              std::string_view jkt) {
    AccessToken at;
    if (family_id.empty()) {
        at.jti = new_id();
    } else {
        at.member = new_id();
        at.jti = store::Keys::family_member(family_id, at.member);
    }
    at.iat = now;
    at.exp = now + ttl;
    // RFC 9068 §2.2: iss exp aud sub client_id iat jti, plus scope (§2.2.3).
    json::Json claims(json_object());
    json::set(claims.get(), "iss", server.issuer);
    json::set(claims.get(), "sub", sub);
    set_audience(claims.get(), server, resources);
    json::set(claims.get(), "exp", at.exp);
    json::set(claims.get(), "iat", at.iat);
    json::set(claims.get(), "jti", at.jti);
    json::set(claims.get(), "client_id", client_id);
    json::set(claims.get(), "scope", scope);
    if (!username.empty()) json::set(claims.get(), "preferred_username", username);
    if (!jkt.empty()) dpop::add_confirmation(claims.get(), jkt);  // RFC 9449 §6.1
    at.token = jose::sign_compact(server.signing_key(), "at+jwt", claims.get());

    store::AccessSession s;
    s.client_id = client_id;
    s.sub = sub;
    s.family = family_id;
    at.session = store::serialize(s);
    return at;
}

RefreshToken mint_refresh_token(std::string_view family_id, int64_t now) {
    RefreshToken rt;
    // SPEC §3: at least 256 random bits; the family id in front finds its
    // key (store/keys.h).
    rt.token = store::Keys::family_member(family_id, util::random_token(32));
    rt.hash = store::secret_key_id(rt.token);
    json::Json rec(json_object());
    json::set(rec.get(), "fam", family_id);
    json::set(rec.get(), "iat", now);
    json::set(rec.get(), "rid", new_id());
    rt.record = json::dump(rec.get());
    return rt;
}

namespace {

// The request's access token, minted into `out` (family-less when
// out.family_id is empty); its session record for the caller to store.
AccessToken mint_into(Issued& out, const flow::ServerConfig& server, const IssueRequest& req,
                      int64_t at_ttl) {
    out.scope = req.scope;
    AccessToken at = mint_access_token(server, req.client.id, req.sub, req.username, req.scope,
                                       out.family_id, req.now, at_ttl, req.resources, req.jkt);
    out.jkt = req.jkt;
    out.access_token = std::move(at.token);
    out.jti = at.jti;
    out.sub = req.sub;
    out.exp = at.exp;
    out.expires_in = at_ttl;
    return at;
}

// A client_credentials token: no family; its session, listed first in its
// client's bucket of its exp (store/index.h: no pruning, no sorted set).
Issued issue_family_less(const flow::ServerConfig& server, const IssueRequest& req,
                         int64_t at_ttl) {
    Issued out;
    AccessToken at = mint_into(out, server, req, at_ttl);
    store::Keys keys(server.prefix);
    const store::TokenBucket b = store::bucket_of(at.exp, at_ttl);
    store::bucket_add(out.commands, keys.client_token_bucket(req.client.id, b.width, b.number), at.jti,
                      b.expire_at());
    out.commands.push_back({"SET", keys.access(at.jti), at.session, "EX", std::to_string(at_ttl)});
    return out;
}

}  // namespace

Issued issue(const flow::ServerConfig& server, const IssueRequest& req) {
    int64_t at_ttl = std::max<int64_t>(1, server.ttl_of(OAUTH_TTL_ACCESS_TOKEN));
    if (!req.family && !req.refresh_token) return issue_family_less(server, req, at_ttl);

    Issued out;
    out.family_id = req.family_id.empty() ? new_id() : req.family_id;
    // The family lives as long as its refresh tokens may (absolute life), or
    // exactly as long as its only access token when there is no refresh token.
    int64_t fam_ttl = req.refresh_token
                          ? std::max(at_ttl, server.ttl_of(OAUTH_TTL_REFRESH_TOKEN))
                          : at_ttl;

    AccessToken at = mint_into(out, server, req, at_ttl);

    RefreshToken rt;
    if (req.refresh_token) {
        rt = mint_refresh_token(out.family_id, req.now);
        out.refresh_token = rt.token;
    }

    store::Keys keys(server.prefix);
    const int64_t fam_exp = req.now + fam_ttl;
    store::index_add(out.commands, keys.client_index(req.client.id), out.family_id, fam_exp, req.now,
                     fam_ttl);
    if (!req.sub.empty())
        store::index_add(out.commands, keys.sub_index(req.sub), out.family_id, fam_exp, req.now,
                         fam_ttl);
    std::vector<std::string> args = {
        std::to_string(req.now), std::to_string(fam_ttl), at.member, at.session,
        std::to_string(at_ttl), rt.hash, rt.record,
        "client_id", req.client.id, "sub", req.sub, "username", req.username,
        "scope", req.scope, "exp", std::to_string(fam_exp),
    };
    const auto& granted = req.granted_resources.empty() ? req.resources : req.granted_resources;
    if (!granted.empty()) {
        args.push_back(std::string(resource::kFamilyField));
        args.push_back(resource::join(granted));
    }
    if (dpop::binds_refresh_token(req.client, req.jkt, req.refresh_token)) {
        args.push_back(std::string(dpop::kFamilyField));
        args.push_back(req.jkt);
    }
    for (const auto& [k, v] : req.family_fields) {
        args.push_back(k);
        args.push_back(v);
    }
    out.commands.push_back(store::family_call(store::issue_script(), keys, out.family_id, {}, args));
    return out;
}

bool issue_ok(flow::Replies replies) {
    if (replies.empty() || store::any_error(replies)) return false;
    auto s = store::as_string(replies.back());
    return s && (*s == "ok" || *s == "OK");
}

json::Json Issued::response() const {
    json::Json body(json_object());
    json::set(body.get(), "access_token", access_token);
    json::set(body.get(), "token_type", jkt.empty() ? "Bearer" : "DPoP");
    json::set(body.get(), "expires_in", expires_in);
    json::set(body.get(), "scope", scope);
    if (!refresh_token.empty()) json::set(body.get(), "refresh_token", refresh_token);
    return body;
}

http::Response no_cache(http::Response r) {
    bool has_cc = false;
    for (const auto& [name, value] : r.headers) has_cc = has_cc || name == "Cache-Control";
    if (!has_cc) r.header("Cache-Control", "no-store");
    r.header("Pragma", "no-cache");
    return r;
}

http::Response token_response(const json_t* body) {
    return no_cache(http::json_response(200, json::dump(body)));
}

flow::Step finish_issue(const Issued& issued, flow::Replies replies) {
    if (!issue_ok(replies))
        return flow::Step::respond(
            no_cache(error_response(Error::TemporarilyUnavailable, "the session store is unavailable")),
            "issue script failed");
    json::Json body = issued.response();
    return flow::Step::respond(token_response(body.get()));
}

}  // namespace oauth::token

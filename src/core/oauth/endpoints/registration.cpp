// oauth_registration (SPEC §9): RFC 7591 dynamic client registration and
// RFC 7592 management, at one prefix location:
//   POST   LOCATION          register (JSON client metadata)  -> 201
//   GET    LOCATION/{id}     read     (registration token)    -> 200
//   PUT    LOCATION/{id}     update   (registration token)    -> 200
//   DELETE LOCATION/{id}     delete   (registration token)    -> 204
// Mode token (the default) wants a Bearer access token with scope
// oauth:register, checked like oauth_require checks one (session included);
// mode open lets anyone register. Registrations are counted per client
// address per window (oauth_registration_limit, RESERVE of login_limit.h on
// one key): past the limit the answer is 429 with Retry-After.
//
// Secrets: the client secret (confidential clients) is stored as a scrypt
// hash (hashed on the thread pool), the registration access token as its
// SHA-256: neither is ever stored. Reads and updates answer a fresh
// registration access token (RFC 7592 §3 makes it part of every answer, and
// only its hash is kept), so the previous one stops working; the record is
// rewritten with a compare-and-set so a concurrent change or a deletion is
// never undone.
//
// Registered clients are always asked for consent (records.h forces it).
// Deleting a client also revokes every grant family and family-less token it
// holds, slot by slot (store/revoke_all.h, as `oauthctl client delete`).
#include <cctype>
#include <optional>
#include <stdexcept>

#include "oauth/tokens/bearer_access.h"
#include "oauth/clients/client_metadata.h"
#include "oauth/endpoints/endpoints.h"
#include "oauth/tokens/issue.h"
#include "oauth/users/login_limit.h"
#include "store/revoke_all.h"
#include "require/bearer.h"
#include "require/session.h"
#include "store/cas.h"
#include "store/keys.h"
#include "store/records.h"
#include "store/reply.h"
#include "store/script.h"
#include "store/scripts.h"
#include "util/ascii.h"
#include "util/crypto.h"
#include "util/password.h"

namespace oauth::endpoints {

namespace {

using flow::Step;
using require::Reason;

constexpr std::string_view kScope = "oauth:register";
constexpr size_t kMaxClientId = 64;

// RFC 7591 §3.2: no-store on every answer (they carry secrets).
Step answer(http::Response r, std::string reason) {
    return Step::respond(token::no_cache(std::move(r)), "registration: " + std::move(reason));
}

Step refuse(Error e, std::string_view description) {
    return answer(error_response(e, description), std::string(error_code(e)) + ": " + std::string(description));
}

Step unavailable() {
    return answer(error_response(Error::TemporarilyUnavailable, "the store is unavailable"), "redis error");
}

// RFC 7592 §2: a bad, missing or foreign registration access token (and an
// unknown client, §2.1) is 401 invalid_token with a Bearer challenge.
Step bad_registration_token(std::string_view realm, std::string reason) {
    http::Response r = error_response(Error::InvalidToken, "the registration access token is not valid");
    r.header("WWW-Authenticate", "Bearer realm=\"" + std::string(realm) + "\", error=\"invalid_token\"");
    return answer(std::move(r), std::move(reason));
}

bool valid_client_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxClientId) return false;
    for (char c : id)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

class RegistrationFlow final : public store::RedisFlow {
public:
    RegistrationFlow(const ServerConfig& server, Request request)
        : RedisFlow(server, std::move(request)), keys_(server.prefix) {}

private:
    enum class Phase { Admit, Store, Fetch, Rewrite, Delete, RevokeGrants };

    Step begin() override {
        std::string_view base = server_.endpoint_path[OAUTH_EP_REGISTRATION];
        std::string_view path = request_.path;
        if (path == base || (path.size() == base.size() + 1 && path.starts_with(base) && path.back() == '/'))
            return begin_register();
        if (path.size() > base.size() + 1 && path.starts_with(base) && path[base.size()] == '/' &&
            (base.empty() || base.back() != '/'))
            return begin_manage(path.substr(base.size() + 1));
        if (!base.empty() && base.back() == '/' && path.size() > base.size() && path.starts_with(base))
            return begin_manage(path.substr(base.size()));
        http::Response r = error_response(Error::InvalidRequest, "no such registration");
        r.status = 404;
        return answer(std::move(r), "unknown path");
    }

    Step replied(flow::Replies replies) override {
        if (store::any_error(replies)) return unavailable();
        switch (phase_) {
        case Phase::Admit: return admitted(replies);
        case Phase::Store: return stored(replies);
        case Phase::Fetch: return fetched(replies[0]);
        case Phase::Rewrite: return rewritten(replies[0]);
        case Phase::Delete: return deleted(replies);
        case Phase::RevokeGrants: {
            http::Response r;
            r.status = 204;  // RFC 7592 §2.3
            return answer(std::move(r), "client deleted")
                .event({.kind = OAUTH_EVENT_REGISTRATION_DELETED, .client = id_});
        }
        }
        return Step::respond(oauth::internal_error(), "registration: bad phase");
    }

    // ---- RFC 7591 §3.1: registration ----

    Step begin_register() {
        if (request_.method != "POST") {
            http::Response r = error_response(Error::InvalidRequest, "use POST");
            r.status = 405;
            r.header("Allow", "POST");
            return answer(std::move(r), "method");
        }
        std::vector<flow::Command> cmds;
        if (!server_.registration.open) {
            auto claims = bearer::access_claims(request_, server_, kScope);
            if (!claims)
                return Step::respond(bearer::denial(claims.error(), request_.realm, kScope),
                                     "registration: " + std::string(require::reason_text(claims.error())));
            cmds.push_back({"EXISTS", keys_.access((*claims)->jti)});
            authenticated_ = true;
        }
        if (request_.body_too_large) {
            http::Response r = error_response(Error::InvalidClientMetadata, "the request body is too large");
            r.status = 413;
            return answer(std::move(r), "body too large");
        }
        if (auto refused = read_metadata(/*authenticated=*/authenticated_)) return std::move(*refused);
        if (!request_.client_address.empty() && server_.registration.per_address > 0)
            cmds.push_back(login_limit::reserve_script().call(
                {keys_.registrations_address(request_.client_address)},
                {std::to_string(server_.registration.window * 1000),
                 std::to_string(server_.registration.per_address)}));
        counted_ = cmds.size() > (authenticated_ ? 1u : 0u);
        phase_ = Phase::Admit;
        if (cmds.empty()) return create();
        return Step::redis(std::move(cmds));
    }

    // The posted (or PUT) body as validated metadata, or the refusal.
    std::optional<Step> read_metadata(bool authenticated) {
        if (!util::is_media_type(request_.content_type, "application/json"))
            return refuse(Error::InvalidClientMetadata, "Content-Type must be application/json");
        body_ = json::parse_object(request_.body, 8);
        if (!body_) return refuse(Error::InvalidClientMetadata, "the body is not a JSON object");
        auto m = registration::validate(body_.get(), server_, authenticated);
        if (!m) return refuse(m.error().error, m.error().description);
        metadata_.emplace(std::move(*m));
        return std::nullopt;
    }

    Step admitted(flow::Replies replies) {
        size_t i = 0;
        if (authenticated_) {
            if (Reason r = require::judge_session(replies[i++]); r != Reason::Ok)
                return Step::respond(bearer::denial(r, request_.realm, kScope),
                                     "registration: " + std::string(require::reason_text(r)));
        }
        if (counted_) {
            auto verdict = login_limit::Attempt::parse(replies[i]);
            if (!verdict) return unavailable();
            if (!verdict->allowed) {
                http::Response r = error_response(Error::TemporarilyUnavailable,
                                                  "too many registrations from this address, retry later");
                r.status = 429;
                r.header("Retry-After", std::to_string(verdict->retry_after));
                return answer(std::move(r), "registration limit reached");
            }
        }
        return create();
    }

    Step create() {
        client_.id = token::new_id();
        client_.dynamic = true;
        client_.issued_at = request_.now;
        apply_metadata();
        if (!client_.is_public) {
            secret_ = util::random_token(32);
            return Step::offload();  // the scrypt hash, on the thread pool
        }
        return store_new();
    }

    // The thread pool's work: hash a new client's secret, or (PUT) check the
    // one the body presents against the stored hash.
    void offload() override {
        if (!presented_secret_.empty())
            secret_matches_ = util::verify_secret(presented_secret_, client_.secret_hash);
        else
            secret_hash_ = util::hash_secret(secret_, util::kClientSecretCost);
    }

    Step offloaded() override {
        if (!presented_secret_.empty()) {
            if (!secret_matches_)
                return refuse(Error::InvalidClientMetadata, "client_secret is not this client's secret");
            return rewrite();
        }
        if (secret_hash_.empty()) return Step::respond(oauth::internal_error(), "registration: no secret hash");
        client_.secret_hash = secret_hash_;
        return store_new();
    }

    Step store_new() {
        registration_token_ = util::random_token(32);
        client_.registration_token_hash = util::sha256_hex(registration_token_);
        phase_ = Phase::Store;
        return Step::redis({{"SET", keys_.client(client_.id), store::serialize(client_), "NX"},
                            {"SADD", keys_.clients(), client_.id}});
    }

    Step stored(flow::Replies replies) {
        if (!store::as_string(replies[0])) return Step::respond(oauth::internal_error(), "registration: id taken");
        json::Json doc = information();
        json::set(doc.get(), "client_id_issued_at", client_.issued_at);
        if (!secret_.empty()) {
            json::set(doc.get(), "client_secret", secret_);
            json::set(doc.get(), "client_secret_expires_at", int64_t{0});  // RFC 7591 §3.2.1: never
        }
        return answer(http::json_response(201, json::dump(doc.get())), "client registered")
            .event({.kind = OAUTH_EVENT_REGISTRATION_CREATED, .client = client_.id});
    }

    // The client's record from its metadata (registration and update).
    void apply_metadata() {
        const registration::Metadata& m = *metadata_;
        client_.name = m.client_name;
        client_.is_public = m.is_public();
        client_.redirect_uris = m.redirect_uris;
        client_.grant_types = m.grant_types;
        client_.scopes = m.scopes;
        client_.consent = store::Consent::Always;
        client_.metadata = json::dump(m.document.get());
    }

    // RFC 7591 §3.2.1 / RFC 7592 §3: the metadata, client_id, the
    // registration access token and URI.
    json::Json information() const {
        json::Json doc = json::parse_object(client_.metadata.empty() ? "{}" : client_.metadata);
        if (!doc) doc = json::Json(json_object());
        json::set(doc.get(), "client_id", client_.id);
        json::set(doc.get(), "client_id_issued_at", client_.issued_at);
        json::set(doc.get(), "registration_access_token", registration_token_);
        json::set(doc.get(), "registration_client_uri", client_uri(client_.id));
        return doc;
    }

    std::string client_uri(std::string_view id) const {
        std::string base = server_.endpoint_url(OAUTH_EP_REGISTRATION);
        if (!base.ends_with('/')) base.push_back('/');
        return base + std::string(id);
    }

    // ---- RFC 7592 §2: management with the registration access token ----

    Step begin_manage(std::string_view id) {
        if (request_.method != "GET" && request_.method != "PUT" && request_.method != "DELETE") {
            http::Response r = error_response(Error::InvalidRequest, "use GET, PUT or DELETE");
            r.status = 405;
            r.header("Allow", "GET, PUT, DELETE");
            return answer(std::move(r), "method");
        }
        if (request_.duplicate_authorization)
            return refuse(Error::InvalidRequest, "more than one Authorization header");
        auto bearer = require::parse_bearer(
            request_.authorization.empty() ? std::nullopt
                                           : std::optional<std::string_view>(request_.authorization));
        if (bearer.reason == Reason::MalformedHeader)
            return Step::respond(bearer::denial(bearer.reason, request_.realm, kScope),
                                 "registration: malformed Authorization");
        if (bearer.reason != Reason::Ok) {
            http::Response r = error_response(Error::InvalidToken, "a registration access token is required");
            r.header("WWW-Authenticate", "Bearer realm=\"" + request_.realm + "\"");
            return answer(std::move(r), "no registration access token");
        }
        if (!valid_client_id(id)) return bad_registration_token(request_.realm, "malformed client id");
        presented_hash_ = util::sha256_hex(bearer.token);
        id_ = std::string(id);
        phase_ = Phase::Fetch;
        return Step::redis({{"GET", keys_.client(id_)}});
    }

    Step fetched(const redisReply* reply) {
        auto text = store::as_string(reply);
        if (!text) return bad_registration_token(request_.realm, "unknown client");
        auto client = store::parse_client(*text);
        if (!client || !client->dynamic || client->registration_token_hash.size() != presented_hash_.size() ||
            !util::constant_time_equal(client->registration_token_hash, presented_hash_))
            return bad_registration_token(request_.realm, "wrong registration access token");
        stored_ = std::string(*text);
        client_ = std::move(*client);

        if (request_.method == "DELETE") {
            phase_ = Phase::Delete;
            // The grants it holds end with it (RFC 7592 §2.3). The client goes
            // first, so no new token is issued to it while its indexes are
            // read (in the same round trip, after the DEL) and walked.
            revoke_.emplace(keys_, store::RevokeAllOf::Client, id_, request_.now);
            std::vector<flow::Command> cmds = {{"DEL", keys_.client(id_)}, {"SREM", keys_.clients(), id_}};
            for (auto& c : revoke_->reads()) cmds.push_back(std::move(c));
            return Step::redis(std::move(cmds));
        }
        if (request_.method == "PUT") {
            if (request_.body_too_large) {
                http::Response r = error_response(Error::InvalidClientMetadata, "the request body is too large");
                r.status = 413;
                return answer(std::move(r), "body too large");
            }
            bool was_public = client_.is_public;
            if (auto refused = read_metadata(client_.allows_grant(store::kGrantClientCredentials)))
                return std::move(*refused);
            // RFC 7592 §2.2: the body names the client it updates.
            auto named = json::get_string(body_.get(), "client_id");
            if (!named || *named != id_)
                return refuse(Error::InvalidClientMetadata, "client_id must name the client being updated");
            if (metadata_->is_public() != was_public)
                return refuse(Error::InvalidClientMetadata,
                              "token_endpoint_auth_method cannot change between none and a client secret");
            apply_metadata();
            // RFC 7592 §2.2: a client_secret in the body must be the one it
            // holds; a client never chooses its own. Checked on the pool.
            if (json_t* secret = json_object_get(body_.get(), "client_secret")) {
                if (!json_is_string(secret) || client_.secret_hash.empty())
                    return refuse(Error::InvalidClientMetadata, "client_secret is not this client's secret");
                presented_secret_ = json_string_value(secret);
                return Step::offload();
            }
        }
        return rewrite();
    }

    Step rewrite() {
        // RFC 7592 §3: a fresh registration access token in every answer.
        registration_token_ = util::random_token(32);
        client_.registration_token_hash = util::sha256_hex(registration_token_);
        phase_ = Phase::Rewrite;
        return Step::redis({store::cas(keys_.client(id_), stored_, store::serialize(client_))});
    }

    // The client is gone; its indexes were read: revoke each family (one
    // slot each) and delete each family-less token and the indexes.
    Step deleted(flow::Replies replies) {
        try {
            auto writes = revoke_->writes(replies.subspan(2));
            phase_ = Phase::RevokeGrants;
            return Step::redis(std::move(writes.commands));
        } catch (const std::runtime_error&) {
            return unavailable();
        }
    }

    Step rewritten(const redisReply* reply) {
        store::CasReply cas = store::read_cas(reply);
        if (cas.result == store::CasResult::Error) return unavailable();
        if (cas.result != store::CasResult::Ok)
            return bad_registration_token(request_.realm, "client changed or deleted meanwhile");
        json::Json doc = information();
        return answer(http::json_response(200, json::dump(doc.get())),
                      request_.method == "PUT" ? "client updated" : "client read");
    }

    store::Keys keys_;
    Phase phase_ = Phase::Admit;
    bool authenticated_ = false;
    bool counted_ = false;
    json::Json body_;
    std::optional<registration::Metadata> metadata_;
    store::Client client_;
    std::string secret_, secret_hash_, registration_token_;
    std::string presented_secret_;  // PUT: a client_secret in the body
    bool secret_matches_ = false;
    std::string id_, presented_hash_, stored_;
    std::optional<store::RevokeAll> revoke_;  // DELETE: the grants it walks
};

}  // namespace

std::unique_ptr<Flow> make_registration(const ServerConfig& server, Request request) {
    return std::make_unique<RegistrationFlow>(server, std::move(request));
}

}  // namespace oauth::endpoints

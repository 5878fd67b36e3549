// The extern "C" entry points of include/oauth_core.h. Every one is
// noexcept and catches everything, with handlers that neither allocate nor
// throw (fail_step, set_error): no exception crosses into nginx.
#include <hiredis/hiredis.h>
#include <openssl/crypto.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>

#include "flow/audit.h"
#include "flow/flow.h"
#include "abi/server_handle.h"
#include "jose/key.h"
#include "http/errors.h"
#include "store/resp.h"
#include "oauth_core.h"

struct oauth_key_s {
    oauth::jose::KeyPtr key;
};


struct oauth_flow_s {
    std::unique_ptr<oauth::flow::Flow> flow;
    // What the last step's oauth_str_t point into.
    oauth::flow::Step step;
    std::string commands;
    std::vector<oauth_header_t> headers;
    std::vector<oauth_event_t> events;
    // The log reason of a failed step, written without allocating.
    char failure[160] = "";
};

namespace {

using oauth::flow::Step;

std::string to_string(oauth_str_t s) { return s.data ? std::string(s.data, s.len) : std::string(); }
oauth_str_t view(const std::string& s) { return {s.data(), s.size()}; }

void set_error(char* err, size_t errlen, const char* msg) noexcept {
    if (err && errlen) std::snprintf(err, errlen, "%s", msg);
}

// Publishes f->step through the C view, keeping the storage in f.
void export_step(oauth_flow_s* f, oauth_step_t* out) {
    std::memset(out, 0, sizeof(*out));
    const Step& s = f->step;
    out->log_reason = view(s.log_reason);
    f->events.clear();
    for (const auto& e : s.events)
        f->events.push_back({e.kind, view(e.grant), view(e.client), view(e.sub), view(e.jti),
                             view(e.family), view(e.username), view(e.error)});
    out->events = f->events.data();
    out->nevents = f->events.size();
    switch (s.kind) {
    case Step::Kind::Redis:
        f->commands = oauth::store::resp(s.commands);
        out->kind = OAUTH_STEP_REDIS;
        out->redis_commands = view(f->commands);
        out->redis_count = s.commands.size();
        return;
    case Step::Kind::Offload:
        out->kind = OAUTH_STEP_OFFLOAD;
        return;
    case Step::Kind::Respond:
        out->kind = OAUTH_STEP_RESPOND;
        out->status = s.response.status;
        out->content_type = view(s.response.content_type);
        out->body = view(s.response.body);
        f->headers.clear();
        for (const auto& [name, value] : s.response.headers)
            f->headers.push_back({view(name), view(value)});
        out->headers = f->headers.data();
        out->nheaders = f->headers.size();
        return;
    }
}

// The answer when a step failed: static storage only, so that building it
// cannot fail too (a handler that allocates could let bad_alloc escape
// into C). `reason` outlives the step (the flow's buffer, or a literal).
void fail_step(oauth_step_t* out, const char* reason) noexcept {
    static constexpr char kType[] = "application/json";
    static constexpr char kBody[] = "{\"error\":\"server_error\"}";
    static oauth_header_t no_store = {{"Cache-Control", 13}, {"no-store", 8}};
    std::memset(out, 0, sizeof(*out));
    out->kind = OAUTH_STEP_RESPOND;
    out->status = 500;
    out->content_type = {kType, sizeof(kType) - 1};
    out->body = {kBody, sizeof(kBody) - 1};
    out->headers = &no_store;
    out->nheaders = 1;
    out->log_reason = {reason, std::strlen(reason)};
}

// Runs one core call, turning any exception into a 500 so the worker lives.
// The handlers neither allocate nor throw: the failed step is replaced by a
// default one (a Respond step: a later resume is a count mismatch).
template <typename Fn>
void run_step(oauth_flow_s* f, oauth_step_t* out, Fn&& fn) noexcept {
    try {
        f->step = fn();
        if (f->flow) f->flow->annotate(f->step);
        export_step(f, out);
        return;
    } catch (const std::exception& e) {
        std::snprintf(f->failure, sizeof(f->failure), "internal error: %s", e.what());
    } catch (...) {
        std::snprintf(f->failure, sizeof(f->failure), "internal error");
    }
    f->step = Step{};
    fail_step(out, f->failure);
}

}  // namespace

extern "C" {

oauth_key_t* oauth_key_load(const char* path, const char* kid, char* err, size_t errlen) noexcept {
    try {
        auto key = oauth::jose::Key::load_file(path ? path : "", kid ? kid : "");
        if (!key) {
            set_error(err, errlen, key.error().c_str());
            return nullptr;
        }
        return new oauth_key_s{std::move(*key)};
    } catch (const std::exception& e) {
        set_error(err, errlen, e.what());
    } catch (...) {
        set_error(err, errlen, "unexpected error");
    }
    return nullptr;
}

const char* oauth_key_kid(const oauth_key_t* key) noexcept {
    return key && key->key ? key->key->kid().c_str() : "";
}

void oauth_key_free(oauth_key_t* key) noexcept { delete key; }

oauth_server_t* oauth_server_new(const oauth_server_params_t* p, char* err, size_t errlen) noexcept {
    if (!p) {
        set_error(err, errlen, "no parameters");
        return nullptr;
    }
    try {
        auto s = std::make_unique<oauth_server_s>();
        auto& c = s->config;
        c.issuer = to_string(p->issuer);
        c.audience = p->audience.len ? to_string(p->audience) : c.issuer;
        c.prefix = to_string(p->redis_prefix);
        for (size_t i = 0; i < OAUTH_EP_COUNT; i++) c.endpoint_path[i] = to_string(p->endpoint_path[i]);
        c.login_url = p->login_url.len ? to_string(p->login_url) : c.endpoint_url(OAUTH_EP_LOGIN);
        for (size_t i = 0; i < OAUTH_TTL_COUNT; i++) c.ttl[i] = p->ttl[i];
        for (size_t i = 0; i < p->nkeys; i++) c.keys.push_back(p->keys[i]->key);
        c.dpop_nonce_keys = oauth::dpop::derive_nonce_keys(c.keys);
        if (p->login_limit_user > 0) c.login_limit.per_user = p->login_limit_user;
        if (p->login_limit_address > 0) c.login_limit.per_address = p->login_limit_address;
        if (p->login_limit_address < 0) c.login_limit.per_address = 0;
        if (p->login_limit_window > 0) c.login_limit.window = p->login_limit_window;
        c.registration.open = p->registration_open != 0;
        if (p->registration_limit > 0) c.registration.per_address = p->registration_limit;
        if (p->registration_window > 0) c.registration.window = p->registration_window;
        for (size_t i = 0; i < p->nresources && p->resources; i++) {
            oauth::flow::Resource r;
            r.uri = to_string(p->resources[i].uri);
            std::string scopes = to_string(p->resources[i].scopes);
            for (size_t pos = 0; pos < scopes.size();) {
                size_t sp = scopes.find(' ', pos);
                if (sp == std::string::npos) sp = scopes.size();
                if (sp > pos) r.scopes.push_back(scopes.substr(pos, sp - pos));
                pos = sp + 1;
            }
            r.in_server = p->resources[i].in_server != 0;
            c.resources.push_back(std::move(r));
        }
        return s.release();
    } catch (const std::exception& e) {
        set_error(err, errlen, e.what());
    } catch (...) {
        set_error(err, errlen, "unexpected error");
    }
    return nullptr;
}

void oauth_server_free(oauth_server_t* server) noexcept { delete server; }

oauth_flow_t* oauth_flow_start(const oauth_server_t* server, oauth_endpoint_e endpoint,
                               const oauth_http_request_t* req, oauth_step_t* step) noexcept {
    if (!step) return nullptr;
    oauth_flow_s* f = new (std::nothrow) oauth_flow_s;
    if (!f) return nullptr;
    if (!server || !req) {
        fail_step(step, "internal error: no server or request");
        return f;
    }
    run_step(f, step, [&]() -> Step {
        oauth::flow::Request r;
        r.method = to_string(req->method);
        r.path = to_string(req->path);
        r.query = to_string(req->query);
        r.content_type = to_string(req->content_type);
        r.body = to_string(req->body);
        r.authorization = to_string(req->authorization);
        r.cookie = to_string(req->cookie);
        r.duplicate_authorization = req->duplicate_authorization != 0;
        r.body_too_large = req->body_too_large != 0;
        r.now = req->now;
        r.leeway = req->leeway;
        if (req->realm.len) r.realm = to_string(req->realm);
        r.client_address = to_string(req->client_address);
        r.dpop = to_string(req->dpop);
        r.dpop_count = req->dpop_count;
        r.dpop_nonce_lifetime = req->dpop_nonce_lifetime;
        f->flow = oauth::flow::make_flow(endpoint, server->config, std::move(r));
        if (!f->flow) return Step::respond(oauth::internal_error(), "endpoint has no flow");
        return f->flow->start();
    });
    return f;
}

void oauth_flow_resume_redis(oauth_flow_t* f, const oauth_redis_reply_t* const* replies, size_t n,
                             oauth_step_t* step) noexcept {
    if (!step) return;
    if (!f || (n && !replies)) return fail_step(step, "internal error: no flow or replies");
    run_step(f, step, [&]() -> Step {
        if (!f->flow) return Step::respond(oauth::internal_error());
        // oauth_redis_reply_t is hiredis's redisReply (oauth_core.h): the
        // flows read the glue's replies in place.
        oauth::flow::Replies rs(replies, n);
        if (rs.size() != f->step.commands.size() || f->step.kind != Step::Kind::Redis)
            return Step::respond(oauth::internal_error(), "reply count mismatch");
        return f->flow->on_redis(rs);
    });
}

void oauth_flow_resume_unavailable(oauth_flow_t* f, oauth_step_t* step) noexcept {
    if (!step) return;
    if (!f) return fail_step(step, "internal error: no flow");
    run_step(f, step, [&]() -> Step {
        return Step::respond(oauth::error_response(oauth::Error::TemporarilyUnavailable,
                                                   "the session store is unavailable"),
                             "redis unavailable");
    });
}

void oauth_flow_offload_run(oauth_flow_t* f) noexcept {
    try {
        if (f && f->flow) f->flow->offload();
    } catch (...) {
        // on_offload() sees the missing result and answers 500.
    }
    // Release OpenSSL's per-thread state now rather than in the thread's
    // exit: a pool thread still exiting while the worker's exit() runs
    // OPENSSL_cleanup would free it twice (a crash seen at shutdown).
    OPENSSL_thread_stop();
}

void oauth_flow_resume_offload(oauth_flow_t* f, oauth_step_t* step) noexcept {
    if (!step) return;
    if (!f) return fail_step(step, "internal error: no flow");
    run_step(f, step, [&]() -> Step {
        if (!f->flow) return Step::respond(oauth::internal_error());
        return f->flow->on_offload();
    });
}

void oauth_flow_resume_busy(oauth_flow_t* f, oauth_step_t* step) noexcept {
    if (!step) return;
    if (!f) return fail_step(step, "internal error: no flow");
    run_step(f, step, [&]() -> Step {
        if (!f->flow || f->step.kind != Step::Kind::Offload)
            return Step::respond(oauth::internal_error());
        return f->flow->on_busy();
    });
}

void oauth_flow_free(oauth_flow_t* f) noexcept { delete f; }

size_t oauth_event_audit_line(const oauth_event_t* ev, oauth_str_t time, oauth_str_t remote_addr,
                              oauth_str_t request_id, char* buf, size_t len) noexcept {
    if (!ev || !buf) return 0;
    try {
        oauth::flow::Event e;
        e.kind = ev->kind;
        e.grant = to_string(ev->grant);
        e.client = to_string(ev->client);
        e.sub = to_string(ev->sub);
        e.jti = to_string(ev->jti);
        e.family = to_string(ev->family);
        e.username = to_string(ev->username);
        e.error = to_string(ev->error);
        auto line = oauth::flow::audit_line(
            e, {to_string(time), to_string(remote_addr), to_string(request_id)});
        if (!line || line->size() > len) return 0;
        std::memcpy(buf, line->data(), line->size());
        return line->size();
    } catch (...) {
        return 0;
    }
}

}  // extern "C"

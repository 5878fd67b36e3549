/*
 * The C ABI of the edge session cache (oauth_session_cache, SPEC section 8).
 * One per worker process: the cache of sessions found alive and the
 * invalidation link that keeps it true (src/core/require/session_cache.h,
 * invalidation.h).  The glue owns the socket:
 *
 *   c = oauth_session_cache_new(size, prefix, username, password);
 *   connected:   oauth_session_cache_link_start(c, &step)  -> send step.commands
 *   each reply:  oauth_session_cache_link_reply(c, reply, &step)
 *                  SEND: write step.commands; READY: tracking confirmed;
 *                  FAIL: close the connection (step.note says why), then
 *                  oauth_session_cache_link_lost(c)
 *   heartbeat:   oauth_session_cache_link_ping(c) -> bytes to send, or empty
 *   lost:        oauth_session_cache_link_lost(c)  (empties the cache)
 *
 * and hands c to oauth_require_check_request() in the request's
 * session_cache; the core uses it only while the link is ready.  Strings in
 * a step stay valid until the next call on c.  Never throws, never logs.
 */

#ifndef OAUTH_SESSION_CACHE_H
#define OAUTH_SESSION_CACHE_H

#include "oauth_require.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    OAUTH_SESSION_CACHE_WAIT = 0,
    OAUTH_SESSION_CACHE_SEND,
    OAUTH_SESSION_CACHE_READY,
    OAUTH_SESSION_CACHE_FAIL
} oauth_session_cache_action_e;

typedef struct {
    oauth_session_cache_action_e  action;
    oauth_str_t                   commands;   /* SEND: RESP bytes */
    oauth_str_t                   note;       /* for the log, or empty */
} oauth_session_cache_step_t;

/* NULL when out of memory.  prefix: oauth_redis prefix=; username may be
 * empty; password empty: no AUTH. */
oauth_session_cache_t *oauth_session_cache_new(size_t capacity,
    oauth_str_t prefix, oauth_str_t username, oauth_str_t password)
    OAUTH_NOEXCEPT;

void oauth_session_cache_free(oauth_session_cache_t *c) OAUTH_NOEXCEPT;

void oauth_session_cache_link_start(oauth_session_cache_t *c,
    oauth_session_cache_step_t *step) OAUTH_NOEXCEPT;

/* reply: one reply read on the link's connection (oauth_core.h). */
void oauth_session_cache_link_reply(oauth_session_cache_t *c,
    const oauth_redis_reply_t *reply, oauth_session_cache_step_t *step)
    OAUTH_NOEXCEPT;

oauth_str_t oauth_session_cache_link_ping(oauth_session_cache_t *c)
    OAUTH_NOEXCEPT;

/* 1 when a heartbeat PING has not been answered yet */
int oauth_session_cache_link_ping_unanswered(const oauth_session_cache_t *c)
    OAUTH_NOEXCEPT;

void oauth_session_cache_link_lost(oauth_session_cache_t *c) OAUTH_NOEXCEPT;

int oauth_session_cache_ready(const oauth_session_cache_t *c) OAUTH_NOEXCEPT;

/* entries remembered, for tests and debugging */
size_t oauth_session_cache_size(const oauth_session_cache_t *c)
    OAUTH_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* OAUTH_SESSION_CACHE_H */

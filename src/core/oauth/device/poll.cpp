#include "oauth/device/poll.h"

#include <algorithm>

#include "store/bounds.h"

namespace oauth::device {

Poll decide_poll(std::optional<std::string_view> stored, std::string_view client_id,
                 int64_t now) {
    Poll p;
    // The record outlives its exp by kExpiredGrace, so absence means a code
    // never issued (or expired long ago): invalid_grant, RFC 6749 §5.2.
    if (!stored) {
        p.outcome = PollOutcome::Unknown;
        return p;
    }
    if (is_used(*stored)) {
        p.outcome = PollOutcome::Used;
        return p;
    }
    p.record = parse_record(*stored);
    if (!p.record) {
        p.outcome = PollOutcome::Corrupt;
        return p;
    }
    Record& r = *p.record;
    // RFC 6749 §5.2 invalid_grant: "issued to another client". Checked before
    // anything else so another client learns nothing about the code's state.
    if (r.client_id != client_id) {
        p.outcome = PollOutcome::WrongClient;
        return p;
    }
    if (now >= r.exp) {  // RFC 8628 §3.5 expired_token
        p.outcome = PollOutcome::Expired;
        return p;
    }
    switch (r.status) {
    case Status::Approved: p.outcome = PollOutcome::Approved; return p;
    case Status::Denied: p.outcome = PollOutcome::Denied; return p;
    case Status::Pending: break;
    }
    // RFC 8628 §3.5 slow_down: polled before `interval` seconds passed since
    // the previous poll. The first poll is never too early: a device may
    // ask once right away.
    bool too_fast = r.last_poll != 0 && now - r.last_poll < r.interval;
    // The interval stops growing at its range's end, so the record stays
    // one its parser accepts (store/bounds.h).
    if (too_fast) r.interval = std::min(r.interval + kSlowDownStep, store::kPollInterval.hi);
    r.last_poll = now;
    p.outcome = too_fast ? PollOutcome::SlowDown : PollOutcome::Pending;
    p.updated = serialize(r);
    return p;
}

Error poll_error(PollOutcome o) {
    switch (o) {
    case PollOutcome::Pending: return Error::AuthorizationPending;
    case PollOutcome::SlowDown: return Error::SlowDown;
    case PollOutcome::Denied: return Error::AccessDenied;
    case PollOutcome::Expired: return Error::ExpiredToken;
    case PollOutcome::Approved:  // not an error; callers never ask
    case PollOutcome::Unknown:
    case PollOutcome::Used:
    case PollOutcome::WrongClient:
    case PollOutcome::Corrupt: break;
    }
    return Error::InvalidGrant;
}

std::string_view poll_description(PollOutcome o) {
    switch (o) {
    case PollOutcome::Pending: return "the user has not approved the request yet";
    case PollOutcome::SlowDown: return "polling too fast: wait the interval, now 5 seconds longer";
    case PollOutcome::Denied: return "the user denied the request";
    case PollOutcome::Expired: return "the device code has expired";
    case PollOutcome::Unknown: return "the device code is not valid";
    case PollOutcome::Used: return "the device code was already used";
    case PollOutcome::WrongClient: return "the device code was issued to another client";
    case PollOutcome::Corrupt: return "the device code is not valid";
    case PollOutcome::Approved: break;
    }
    return "the device code is not valid";
}

}  // namespace oauth::device

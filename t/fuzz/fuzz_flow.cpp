// Every endpoint flow through the C ABI, with fuzzed request parts and
// fuzzed Redis replies for every Redis step. Input:
//   [endpoint][flags] method \0 query \0 content-type \0 body \0
//   authorization \0 cookie \0 client address \0 [RESP replies...]
// flags bit 0: run an offload step (scrypt) instead of abandoning the flow
// there (a request whose client went away); bit 2 (without bit 0): the
// worker's KDF bound refuses it (resume_busy); bit 1: two Authorization
// headers; bit 3: the body was past oauth_max_body_size; the client address is the last part before the replies. A flow must end in a response with an HTTP status, never crash.
#include <cstdio>

#include "fuzz_support.h"

namespace {

void check_response(const oauth_step_t& step) {
    if (step.status < 100 || step.status > 599) {
        std::fprintf(stderr, "response with status %u\n", step.status);
        std::abort();
    }
    for (size_t i = 0; i < step.nheaders; i++)
        if (!step.headers[i].name.len) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Parts in(data, size);
    auto endpoint = static_cast<oauth_endpoint_e>(in.byte() % OAUTH_EP_COUNT);
    uint8_t flags = in.byte();
    oauth_http_request_t req{};
    req.method = fuzz::str(in.next());
    req.path = fuzz::str(fuzz::kEndpointPath[endpoint]);
    req.query = fuzz::str(in.next());
    req.content_type = fuzz::str(in.next());
    req.body = fuzz::str(in.next());
    req.authorization = fuzz::str(in.next());
    req.cookie = fuzz::str(in.next());
    req.client_address = fuzz::str(in.next());
    req.duplicate_authorization = (flags & 2) != 0;
    req.body_too_large = (flags & 8) != 0;
    if (req.body_too_large) req.body = fuzz::str("");  // as the glue hands it
    req.now = fuzz::kNow;
    req.leeway = 30;
    req.realm = fuzz::str("api");
    fuzz::Replies replies(in.rest());

    oauth_step_t step{};
    oauth_flow_t* flow = oauth_flow_start(fuzz::server(), endpoint, &req, &step);
    if (!flow) return 0;
    for (int round = 0; round < 32; round++) {
        if (step.kind == OAUTH_STEP_RESPOND) {
            check_response(step);
            break;
        }
        if (step.kind == OAUTH_STEP_OFFLOAD) {
            if (flags & 1) {
                oauth_flow_offload_run(flow);
                oauth_flow_resume_offload(flow, &step);
            } else if (flags & 4) {
                oauth_flow_resume_busy(flow, &step);
            } else {
                break;  // abandoned mid-flow: free must hold
            }
            continue;
        }
        std::vector<fuzz::ReplyPtr> owned;
        std::vector<const redisReply*> ptrs;
        for (size_t i = 0; i < step.redis_count; i++) {
            fuzz::ReplyPtr r = replies.next();
            if (!r) break;
            ptrs.push_back(r.get());
            owned.push_back(std::move(r));
        }
        if (ptrs.size() < step.redis_count)
            oauth_flow_resume_unavailable(flow, &step);
        else
            oauth_flow_resume_redis(flow, ptrs.data(), ptrs.size(), &step);
    }
    oauth_flow_free(flow);
    return 0;
}

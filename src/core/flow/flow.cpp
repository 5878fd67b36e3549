#include "flow/flow.h"

#include "http/errors.h"

namespace oauth::flow {

Step Flow::on_redis(Replies) { return Step::respond(internal_error(), "unexpected redis step"); }

Step Flow::on_offload() { return Step::respond(internal_error(), "unexpected offload step"); }

Step Flow::on_busy() {
    Response r = oauth::error_response(oauth::Error::TemporarilyUnavailable,
                                       "too many password checks in progress, retry later");
    r.header("Retry-After", "1");
    return Step::respond(std::move(r), "offload refused: kdf limit reached");
}

Response json_response(unsigned status, std::string body) {
    Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = std::move(body);
    return r;
}

Response internal_error() {
    return oauth::error_response(oauth::Error::ServerError, "internal error");
}

}  // namespace oauth::flow

#include "flow/flow.h"

#include "http/errors.h"

namespace oauth::flow {

Step Flow::on_redis(Replies) { return Step::respond(oauth::internal_error(), "unexpected redis step"); }

Step Flow::on_offload() { return Step::respond(oauth::internal_error(), "unexpected offload step"); }

Step Flow::on_busy() {
    http::Response r = oauth::error_response(oauth::Error::TemporarilyUnavailable,
                                       "too many password checks in progress, retry later");
    r.header("Retry-After", "1");
    return Step::respond(std::move(r), "offload refused: kdf limit reached");
}

}  // namespace oauth::flow

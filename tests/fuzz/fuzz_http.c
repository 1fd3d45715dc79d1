/* tests/fuzz/fuzz_http.c - HTTP (probes/http.h): the status line parser, the probe_http module
 * on a stream cut in various ways, and the responder (http_request_complete, http_respond).
 *
 * The input is a byte stream: a reply for the parser and the module, a request for the
 * responder. Checks, beyond "no crash":
 *   status line     see fuzz_status_line() (fuzz_text.h): codes 100-599.
 *   module          the contract; the outcome does not depend on how the stream was cut;
 *                   an OK names the status code the status line parser reads (when the reply
 *                   starts with its final response).
 *   responder       http_request_complete returns 0, invalid, or a length within the input
 *                   that is stable (the request alone gives the same length); an answer is a
 *                   well-formed head (fuzz_check_head) with a 200 status line, and the
 *                   probe module accepts it as the ucscan listener.
 *   round trip      with a host name taken from the input: the HEAD request the module
 *                   builds is one complete request, the responder answers it 200, and the
 *                   module accepts that answer. */
#include "fuzz_text.h"
#include "probes/http.h"

static const struct fuzz_dialect dialect = {
    .mod = &probe_http,
    .parse_status = http_parse_status_line,
    .request_complete = http_request_complete,
    .respond = http_respond,
    .respond_name = "http_respond",
    .method = "HEAD",
    .ok_prefix = "HTTP ",
    .status_lo = 100,
    .status_hi = 599,
    .plain_port = 80,
    .tls_port = 443,
    .plain = UC_P_HTTP,
    .secure = UC_P_HTTPS,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_dialect_run(&dialect, "http_parse_status_line", data, size);
  return 0;
}

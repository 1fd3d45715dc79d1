/* tests/fuzz/fuzz_sip.c - SIP (probes/sip.h): the status line parser, the probe_sip module on
 * a stream cut in various ways, and the responder (sip_request_complete, sip_respond).
 *
 * The input is a byte stream: a reply for the parser and the module, a request for the
 * responder. Checks, beyond "no crash":
 *   status line     see fuzz_status_line() (fuzz_text.h): codes 100-699.
 *   module          the contract; the outcome does not depend on how the stream was cut;
 *                   an OK names the status code the status line parser reads (when the reply
 *                   starts with its final response).
 *   responder       sip_request_complete returns 0, invalid, or a length within the input
 *                   that is stable (the request alone gives the same length); an answer is a
 *                   well-formed head (fuzz_check_head) with a 200 or 405 status line, and the
 *                   probe module accepts it as the ucscan listener.
 *   round trip      with a host name taken from the input: the OPTIONS request the module
 *                   builds is one complete request, the responder answers it 200, and the
 *                   module accepts that answer. */
#include "fuzz_text.h"
#include "probes/sip.h"

static const struct fuzz_dialect dialect = {
    .mod = &probe_sip,
    .parse_status = sip_parse_status_line,
    .request_complete = sip_request_complete,
    .respond = sip_respond,
    .respond_name = "sip_respond",
    .method = "OPTIONS",
    .ok_prefix = "SIP OPTIONS answered ",
    .status_lo = 100,
    .status_hi = 699,
    .alt_answer = 405,
    .plain_port = 5060,
    .tls_port = 5061,
    .plain = UC_P_SIP,
    .secure = UC_P_MTLS,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_dialect_run(&dialect, "sip_parse_status_line", data, size);
  return 0;
}

/* probes/xmpp.h - XMPP stream probe (probe_xmpp, declared in probe.h): opens a
 * server-to-server stream (RFC 6120 4.2) and waits for the peer's stream header. Its pure
 * parts: the stream header parser (a fuzz target), attribute lookup and the responder. */
#ifndef UC_XMPP_H
#define UC_XMPP_H

#include <stddef.h>
#include <stdint.h>

/* The optional XML declaration and the <stream:stream ...> start tag must end within this
 * many bytes of the start of the stream. */
#define XMPP_HDR_CAP 4096

/* Parses the start of a stream: optional UTF-8 BOM, whitespace, optional <?xml ...?>
 * declaration, whitespace, then a <stream:stream ...> start tag (quotes respected).
 * Returns 1 when the start tag is complete (*tag_start = offset of its '<', *tag_end = offset
 * just past its '>'), 0 when buf is a valid but unfinished prefix, -1 when buf cannot start an
 * XMPP stream (other element, text, binary, self-closed stream tag), -2 when the start tag
 * does not end within XMPP_HDR_CAP bytes. tag_start and tag_end may be NULL. */
int xmpp_parse_stream_header(const uint8_t *buf, size_t len, size_t *tag_start, size_t *tag_end);

/* Value of attribute name (exact, case-sensitive) in a start tag tag[0..len) ('<' first),
 * printable and truncated into val. Returns the raw value length, or -1 when absent. */
long xmpp_tag_attr(const uint8_t *tag, size_t len, const char *name, char *val, size_t cap);

/* When req holds a complete peer stream header, writes our answer: an XML declaration, a
 * <stream:stream> start tag with xmlns='jabber:server', from=<from_domain>, id=<stream_id>
 * (both XML-escaped), version='1.0', and an empty <stream:features/>. Returns the bytes
 * written, or 0: header incomplete or invalid, from_domain or stream_id NULL or holding
 * control bytes, or cap too small. */
size_t xmpp_respond(const uint8_t *req, size_t len, const char *from_domain, const char *stream_id,
                    uint8_t *out, size_t cap);

#endif

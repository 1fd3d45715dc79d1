/* cli/push.h - `--push URL`: the report's metrics PUT to a Prometheus Pushgateway.
 *
 * For vantages that Prometheus cannot scrape (a DMZ, a branch office behind NAT). The body
 * is prom_render() of the report document, the same text as --prom and --format prometheus.
 * The grouping key is job, topology and vantage:
 *
 *   --push http://pg.example:9091          PUT /metrics/job/ucscan/topology/T/vantage/V
 *   --push https://pg.example/gw           PUT /gw/metrics/job/ucscan/topology/T/vantage/V
 *   --push http://pg:9091/metrics/job/compliance/site/paris
 *                                          PUT .../job/compliance/site/paris/topology/T/vantage/V
 *
 * A path that already holds "/metrics/job/" is the user's own job (and extra grouping
 * labels); topology and vantage are appended. PUT replaces the whole group, so a check that
 * vanished from the report vanishes from the Pushgateway too. Label values that are not plain
 * ([A-Za-z0-9._~-]) go base64url-encoded (`topology@base64/...`, "=" for an empty value), as
 * the Pushgateway documents.
 *
 * One connection, HTTP/1.1, `Connection: close`; https verifies the server's certificate
 * against the system's trust store (OpenSSL's default paths, so SSL_CERT_FILE and
 * SSL_CERT_DIR apply) and its name. No redirects, no proxies, no credentials in the URL. The
 * whole exchange (name lookup, connect, TLS, request, response) is bounded by one deadline.
 * Network code lives here, in cli/, not in reports/ (which only writes files). */
#ifndef UC_PUSH_H
#define UC_PUSH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* How long --push may take, all steps together. */
#define PUSH_TIMEOUT_MS 10000

struct push_target {
  bool tls;            /* https */
  char host[256];      /* a name or an address; an IPv6 address without its brackets */
  char port[8];        /* "9091"; 80 or 443 when the URL gives none */
  char path[1024];     /* "" or "/prefix" (no trailing slash), or the user's "/metrics/job/..." */
  bool has_job;        /* path holds /metrics/job/NAME */
  char authority[300]; /* the Host header: "pg:9091", "[::1]:9091" */
};

/* Parses a --push URL: http:// or https://, a host (name, IPv4, [IPv6]), an optional port,
 * an optional path; no user:password@, no ?query, no #fragment, printable ASCII only.
 * Returns 0, or -1 with a one-line reason in err (for a usage error, exit 2). */
int push_parse_url(const char *url, struct push_target *t, char *err, size_t cap);

/* One grouping-key path segment "/name/value", or "/name@base64/..." when the value is not
 * plain. Returns the length written, or -1 when it does not fit in cap. */
int push_group_segment(char *buf, size_t cap, const char *name, const char *value);

/* The request path for the grouping key of this topology and vantage (malloc'd), or NULL. */
char *push_path(const struct push_target *t, const char *topology, const char *vantage);

/* PUTs `len` bytes of exposition text to t at `path`, within timeout_ms. ca_file: verify an
 * https server against these CAs (PEM) instead of the system's store; NULL for the system's.
 * Returns 0 when the Pushgateway answered 2xx, or -1 with a one-line reason in err, e.g.
 *   "connection refused (198.18.56.2:9091)"
 *   "no answer within 10000 ms (connecting)"
 *   "the Pushgateway answered 400 Bad Request: pushed metrics are invalid or inconsistent..."
 *   "TLS handshake failed: certificate verify failed (self-signed certificate)"
 * Text from the server is made printable before it reaches err. Runs its own event loop and
 * closes it, except when the deadline passes during the name lookup: a resolver thread
 * cannot be cancelled, so the loop is left to it (the process is about to exit). */
int push_metrics(const struct push_target *t, const char *path, const char *body, size_t len,
                 unsigned timeout_ms, const char *ca_file, char *err, size_t cap);

/* --push for a finished report: renders its metrics, pushes them within PUSH_TIMEOUT_MS and
 * says on stderr what happened ("metrics pushed to ..." or why not). Returns 0 or -1. */
int push_report(const char *url, const json_t *report);

#endif

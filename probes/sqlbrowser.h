/* probes/sqlbrowser.h - SQL Server Browser probe ([MC-SQLR], UDP 1434): parser and responder.
 *
 * [MC-SQLR] 2.2: all integer fields are little-endian; strings are MBCS, not case-sensitive.
 *   CLNT_BCAST_EX   0x02                     (2.2.1)
 *   CLNT_UCAST_EX   0x03                     (2.2.2) what the probe sends
 *   CLNT_UCAST_INST 0x04 INSTANCENAME NUL    (2.2.3) name at most 32 bytes
 *   SVR_RESP        0x05 RESP_SIZE(2, LE) RESP_DATA   (2.2.5)
 * RESP_DATA is a run of records, each
 *   "ServerName;S;InstanceName;I;IsClustered;No;Version;V[;np;PIPE][;tcp;PORT]...;;"
 * (SERVERNAME and INSTANCENAME at most 255 bytes; RESP_DATA at most 1,024 bytes in answer to
 * CLNT_UCAST_INST and 65,535 bytes otherwise). A server with no instance to report stays
 * silent.
 */
#ifndef UC_PROBES_SQLBROWSER_H
#define UC_PROBES_SQLBROWSER_H

#include <stddef.h>
#include <stdint.h>

#include "probe.h"

#define SQLB_CLNT_BCAST_EX 0x02
#define SQLB_CLNT_UCAST_EX 0x03
#define SQLB_CLNT_UCAST_INST 0x04
#define SQLB_SVR_RESP 0x05
#define SQLB_MAX_INSTANCES 64  /* instances kept in a struct sqlb_reply (and in evidence) */
#define SQLB_MAX_NAME 255      /* SERVERNAME and INSTANCENAME limit */
#define SQLB_MAX_INST_QUERY 32 /* INSTANCENAME limit in CLNT_UCAST_INST */
#define SQLB_RESPONDER_VERSION "12.0.2000.8" /* SQL Server 2014, as SfB Server 2015 installs */

struct sqlb_instance {
  const uint8_t *server; /* views into the parsed datagram */
  size_t server_len;
  const uint8_t *name;
  size_t name_len;
  const uint8_t *version; /* NULL when the record has no Version */
  size_t version_len;
  int tcp_port; /* -1 when the record has no (numeric) tcp entry */
};

struct sqlb_reply {
  size_t resp_size;       /* RESP_SIZE */
  size_t ninstances;      /* records kept in inst[] */
  size_t total_instances; /* records in the reply */
  struct sqlb_instance inst[SQLB_MAX_INSTANCES];
};

/* Parse one SVR_RESP datagram occupying exactly buf[0..len): type byte, RESP_SIZE against the
 * bytes present, and every record (key;value pairs starting with ServerName, with an
 * InstanceName, closed by ";;"). Returns 0, or -1 with a one-line reason in err (e.g.
 * "RESP_SIZE 120 but 37 bytes follow"). */
int sqlb_parse(const uint8_t *buf, size_t len, struct sqlb_reply *out, char *err, size_t errcap);

/* Responder for listen mode and tests. Answers CLNT_BCAST_EX and CLNT_UCAST_EX (exactly one
 * byte) with a record per instance, and CLNT_UCAST_INST with the named instance's record
 * (case-insensitive match). Records carry ServerName, InstanceName, IsClustered No and Version
 * SQLB_RESPONDER_VERSION. Returns the SVR_RESP size, or 0: no answer (other requests, unknown
 * instance, n == 0, a name that is empty, longer than 255 bytes or contains ';', RESP_DATA
 * over its limit, or cap too small). Put UC_LISTENER_TOKEN in `server` to mark replies as the
 * ucscan listener's. */
size_t sqlb_respond(const uint8_t *req, size_t len, const char *server,
                    const char *const *instances, size_t n, uint8_t *out, size_t cap);

#endif

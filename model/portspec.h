/* model/portspec.h - the --ports language: "tcp:1-1024,udp:3478,5060" or "5061/tcp".
 *
 *   spec      := item ("," item)*
 *   item      := [prefix ":"] port ["-" port] ["/" transport]
 *   transport := "tcp" | "udp" | "tcp+udp" | "udp+tcp"   (any case; "tcp+udp": both)
 *   prefix    := transport | "T" | "U"                     (nmap's T:5061, U:3478)
 *
 * Spaces around an item are ignored. A transport prefix ("tcp:") applies to its item and to
 * the items after it until the next prefix; a suffix ("/tcp", the notation of Microsoft's
 * port tables) applies to its own item only. An item gives its transport once (not both
 * ways); the first item must give one. Ports are 1-65535; a range runs forwards. Single ports
 * stay single checks; ranges of one transport that overlap or touch merge, and single ports
 * inside a range go.
 *
 * Errors name the column of the item, say what is wrong and, when a corrected spec can be
 * guessed ("tcp5061" -> "tcp:5061", "5061:tcp" -> "5061/tcp", "5-1" -> "1-5", a first item
 * with no transport, "5061/tc" -> "5061/tcp", "5061/tcp,udp" -> "5061/tcp,5061/udp",
 * "tcp:*" -> "tcp:1-65535", "1024-" -> "1024-65535"), end with "did you mean --ports FIXED?": FIXED
 * is the whole spec with that item corrected, and is only offered when it parses. */
#ifndef UC_PORTSPEC_H
#define UC_PORTSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/uc.h"

struct port_item {
  enum uc_transport transport;
  uint16_t first, last;
  bool is_range;
};

/* Parses and normalises (sorted by transport then port). Returns 0 with *items (caller frees)
 * and *n, or -1 with *items NULL, *n 0 and err set (source "--ports", line 1, the column). */
int portspec_parse(const char *spec, struct port_item **items, size_t *n, struct uc_err *err);

#endif

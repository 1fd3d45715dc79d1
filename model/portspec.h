/* model/portspec.h - the --ports language: "tcp:1-1024,udp:3478,5060".
 * A transport prefix applies to the items after it until the next prefix; the first
 * item needs one. Single ports stay single checks; ranges that overlap merge. */
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

/* Parses and normalises (sorted by transport then port). Errors name the column. */
int portspec_parse(const char *spec, struct port_item **items, size_t *n, struct uc_err *err);

#endif

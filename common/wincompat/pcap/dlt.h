/* common/wincompat/pcap/dlt.h - for the Windows build, which has no libpcap: the link-layer
 * type numbers scanner/pktparse.c decodes (the values registered at tcpdump.org, which
 * pcap files carry), so the packet parser and its tests build without libpcap. */
#ifndef UC_WINCOMPAT_PCAP_DLT_H
#define UC_WINCOMPAT_PCAP_DLT_H
#define DLT_NULL 0
#define DLT_EN10MB 1
#define DLT_RAW 12
#define DLT_LINUX_SLL 113
#define DLT_IPV4 228
#define DLT_IPV6 229
#define DLT_LINUX_SLL2 276
#endif

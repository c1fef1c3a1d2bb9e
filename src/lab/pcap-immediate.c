/* LD_PRELOAD shim for softflowd: softflowd opens libpcap with a 0 ms timeout; with libpcap 1.10's
 * TPACKET_V3 ring a block is only handed over when it is full, so under light lab traffic
 * softflowd never sees a packet and never exports. Forcing immediate mode before activation
 * delivers every packet at once. Built into the lab's state folder by `canopy lab up`. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pcap/pcap.h>

int pcap_activate(pcap_t *p) {
  static int (*real_activate)(pcap_t *) = 0;
  if (!real_activate) real_activate = (int (*)(pcap_t *))dlsym(RTLD_NEXT, "pcap_activate");
  pcap_set_immediate_mode(p, 1);
  return real_activate(p);
}

{
  "variables": {
    "has_pcap%": "<!(test -f /usr/include/pcap/pcap.h && echo 1 || echo 0)"
  },
  "targets": [
    {
      "target_name": "udp_batch",
      "sources": ["src/collectors/flows/native/udp-batch.c"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["src/collectors/flows/native/udp-batch.c"]}]],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    },
    {
      "target_name": "pcap_batch",
      "sources": ["src/collectors/mirror/native/pcap-batch.c"],
      "libraries": ["-lpcap"],
      "conditions": [["OS!='linux' or has_pcap==0", {"type": "none", "sources!": ["src/collectors/mirror/native/pcap-batch.c"], "libraries!": ["-lpcap"]}]],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}

{
  "targets": [
    {
      "target_name": "udp_batch",
      "sources": ["src/collectors/flows/native/udp-batch.c"],
      "conditions": [["OS!='linux'", {"type": "none", "sources!": ["src/collectors/flows/native/udp-batch.c"]}]],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}

// Batched live capture for port-mirror flows (Linux, libpcap): packets are copied into one
// JavaScript buffer per readiness callback, so a burst costs one call into JavaScript instead of
// one per packet (the `cap` package's model), and each record keeps what `cap` does not hand out:
// the timestamp, the length on the wire beside the captured length, and pcap_stats() drops.
// See docs/architecture.md#port-mirror-capture.
//
// A record in the buffer: u32 ts_sec, u32 ts_usec, u32 caplen, u32 wirelen (host order), then
// caplen bytes, padded to 4. JavaScript reads `count` records from offset 0 during the callback.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <pcap/pcap.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define REC_HDR 16
// pcap_dispatch rounds per readiness callback before returning to the event loop (fairness).
#define MAX_ROUNDS 16

typedef struct {
  pcap_t *p;
  int closed;
  int polling;
  int in_callback;
  int snaplen;
  uv_poll_t poll;
  napi_env env;
  napi_ref buf_ref, cb_ref;
  napi_async_context async_ctx;
  uint8_t *buf;
  size_t buf_len;
  size_t used;
  uint32_t count;
} capture;

static napi_value throw_msg(napi_env env, const char *code, const char *what, const char *detail) {
  char msg[PCAP_ERRBUF_SIZE + 1024];
  snprintf(msg, sizeof msg, "%s: %s", what, detail);
  napi_throw_error(env, code, msg);
  return NULL;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  capture *c = (capture *)user;
  uint32_t cap = h->caplen;
  size_t need = REC_HDR + ((cap + 3u) & ~3u);
  if (c->used + need > c->buf_len) return; // never: dispatch asks only for what fits
  uint32_t *w = (uint32_t *)(c->buf + c->used);
  w[0] = (uint32_t)h->ts.tv_sec;
  w[1] = (uint32_t)h->ts.tv_usec;
  w[2] = cap;
  w[3] = h->len;
  memcpy(c->buf + c->used + REC_HDR, bytes, cap);
  c->used += need;
  c->count++;
}

static void deliver(capture *c) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(c->env, &scope) != napi_ok) return;
  napi_value cb, recv, result, argv[2];
  if (napi_get_reference_value(c->env, c->cb_ref, &cb) == napi_ok && cb != NULL) {
    napi_get_global(c->env, &recv);
    napi_create_uint32(c->env, c->count, &argv[0]);
    napi_create_uint32(c->env, (uint32_t)c->used, &argv[1]);
    c->in_callback = 1;
    if (napi_make_callback(c->env, c->async_ctx, recv, cb, 2, argv, &result) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(c->env, &pending);
      if (pending) {
        napi_value err;
        napi_get_and_clear_last_exception(c->env, &err);
        napi_fatal_exception(c->env, err);
      }
    }
    c->in_callback = 0;
  }
  napi_close_handle_scope(c->env, scope);
  c->used = 0;
  c->count = 0;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  capture *c = (capture *)handle->data;
  if (status < 0 || c->closed) return;
  size_t per = REC_HDR + (((size_t)c->snaplen + 3u) & ~(size_t)3u);
  for (int round = 0; round < MAX_ROUNDS && !c->closed; round++) {
    int room = (int)((c->buf_len - c->used) / per);
    if (room <= 0) {
      deliver(c);
      continue;
    }
    int n = pcap_dispatch(c->p, room, on_packet, (u_char *)c);
    if (n <= 0) break; // drained (0) or an error (-1; counted by stats on the JavaScript side)
  }
  if (c->count > 0 && !c->closed) deliver(c);
}

// Runs fn in the network namespace at `path` (this thread only), then returns to our own.
static int enter_netns(const char *path, int *self) {
  *self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (*self < 0) return errno;
  int target = open(path, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    int e = errno;
    close(*self);
    return e;
  }
  int rc = setns(target, CLONE_NEWNET);
  int e = errno;
  close(target);
  if (rc < 0) {
    close(*self);
    return e;
  }
  return 0;
}

static void leave_netns(int self) {
  // Failing to return would leave the main thread in another namespace: better to stop here.
  if (setns(self, CLONE_NEWNET) < 0) abort();
  close(self);
}

// open(device, snaplen, bufferBytes, filter, netnsPath, promisc) → handle (external); throws on failure.
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6) return throw_msg(env, "EARGS", "pcap-batch", "open takes 6 arguments");
  char dev[256], filter[4096], ns[512];
  size_t l;
  int32_t snaplen, bufsize;
  bool promisc;
  if (napi_get_value_string_utf8(env, argv[0], dev, sizeof dev, &l) != napi_ok ||
      napi_get_value_int32(env, argv[1], &snaplen) != napi_ok || napi_get_value_int32(env, argv[2], &bufsize) != napi_ok ||
      napi_get_value_string_utf8(env, argv[3], filter, sizeof filter, &l) != napi_ok ||
      napi_get_value_string_utf8(env, argv[4], ns, sizeof ns, &l) != napi_ok || napi_get_value_bool(env, argv[5], &promisc) != napi_ok)
    return throw_msg(env, "EARGS", "pcap-batch", "bad argument types");
  int self = -1;
  if (ns[0]) {
    int e = enter_netns(ns, &self);
    if (e) return throw_msg(env, "ENETNS", ns, strerror(e));
  }
  char err[PCAP_ERRBUF_SIZE] = "";
  const char *fail = NULL;
  char detail[PCAP_ERRBUF_SIZE + 64] = "";
  pcap_t *p = pcap_create(dev, err);
  if (p == NULL) {
    fail = "pcap_create";
    snprintf(detail, sizeof detail, "%s", err);
  } else {
    pcap_set_snaplen(p, snaplen);
    pcap_set_promisc(p, promisc ? 1 : 0);
    // Without a timeout TPACKET_V3 hands a ring block over only when it is full (softflowd's trap).
    pcap_set_timeout(p, 100);
    if (bufsize > 0) pcap_set_buffer_size(p, bufsize);
    int rc = pcap_activate(p);
    if (rc < 0) {
      fail = "pcap_activate";
      snprintf(detail, sizeof detail, "%s", rc == PCAP_ERROR ? pcap_geterr(p) : pcap_statustostr(rc));
    } else if (filter[0]) {
      struct bpf_program prog;
      if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        fail = "filter";
        snprintf(detail, sizeof detail, "%s", pcap_geterr(p));
      } else {
        if (pcap_setfilter(p, &prog) < 0) {
          fail = "pcap_setfilter";
          snprintf(detail, sizeof detail, "%s", pcap_geterr(p));
        }
        pcap_freecode(&prog);
      }
    }
    if (!fail && pcap_setnonblock(p, 1, err) < 0) {
      fail = "pcap_setnonblock";
      snprintf(detail, sizeof detail, "%s", err);
    }
  }
  if (self >= 0) leave_netns(self);
  if (fail) {
    if (p) pcap_close(p);
    return throw_msg(env, strcmp(fail, "filter") == 0 ? "EFILTER" : "EPCAP", fail, detail);
  }
  capture *c = calloc(1, sizeof *c);
  if (c == NULL) {
    pcap_close(p);
    return throw_msg(env, "ENOMEM", "pcap-batch", "out of memory");
  }
  c->p = p;
  c->env = env;
  c->snaplen = pcap_snapshot(p);
  napi_value handle;
  if (napi_create_external(env, c, NULL, NULL, &handle) != napi_ok) return NULL;
  return handle;
}

static capture *get_capture(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  void *ptr = NULL;
  if (napi_get_cb_info(env, info, argc, argv, NULL, NULL) != napi_ok || *argc < 1) return NULL;
  if (napi_get_value_external(env, argv[0], &ptr) != napi_ok) return NULL;
  return (capture *)ptr;
}

// info(handle) → [linkType, snaplen]
static napi_value js_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  capture *c = get_capture(env, info, &argc, argv);
  if (c == NULL || c->closed) return throw_msg(env, "ECLOSED", "pcap-batch", "closed");
  napi_create_array_with_length(env, 2, &out);
  napi_create_int32(env, pcap_datalink(c->p), &v);
  napi_set_element(env, out, 0, v);
  napi_create_int32(env, c->snaplen, &v);
  napi_set_element(env, out, 1, v);
  return out;
}

// start(handle, buffer, onBatch(count, bytes)) → undefined. The buffer must hold one record of snaplen.
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  capture *c = get_capture(env, info, &argc, argv);
  if (c == NULL || c->closed || argc < 3) return throw_msg(env, "EARGS", "pcap-batch", "start(handle, buffer, onBatch)");
  if (c->polling) return NULL;
  void *data;
  size_t len;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok) return throw_msg(env, "EARGS", "pcap-batch", "buffer expected");
  if (len < REC_HDR + (size_t)c->snaplen + 4) return throw_msg(env, "ERANGE", "pcap-batch", "buffer smaller than one record");
  int fd = pcap_get_selectable_fd(c->p);
  uv_loop_t *loop;
  if (fd < 0 || napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &c->poll, fd) != 0)
    return throw_msg(env, "EPOLL", "pcap-batch", "cannot poll the capture");
  c->buf = data;
  c->buf_len = len;
  napi_create_reference(env, argv[1], 1, &c->buf_ref);
  napi_create_reference(env, argv[2], 1, &c->cb_ref);
  napi_value name;
  napi_create_string_utf8(env, "canopy:pcap-batch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &c->async_ctx);
  c->poll.data = c;
  c->polling = 1;
  uv_poll_start(&c->poll, UV_READABLE, on_readable);
  return NULL;
}

// stats(handle) → [received, droppedByKernel, droppedByInterface] (pcap_stats; counters since open)
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], out, v;
  capture *c = get_capture(env, info, &argc, argv);
  if (c == NULL || c->closed) return throw_msg(env, "ECLOSED", "pcap-batch", "closed");
  struct pcap_stat st;
  if (pcap_stats(c->p, &st) < 0) return throw_msg(env, "EPCAP", "pcap_stats", pcap_geterr(c->p));
  napi_create_array_with_length(env, 3, &out);
  napi_create_double(env, st.ps_recv, &v);
  napi_set_element(env, out, 0, v);
  napi_create_double(env, st.ps_drop, &v);
  napi_set_element(env, out, 1, v);
  napi_create_double(env, st.ps_ifdrop, &v);
  napi_set_element(env, out, 2, v);
  return out;
}

static void on_close(uv_handle_t *handle) {
  capture *c = (capture *)handle->data;
  pcap_close(c->p);
  napi_delete_reference(c->env, c->buf_ref);
  napi_delete_reference(c->env, c->cb_ref);
  napi_async_destroy(c->env, c->async_ctx);
  free(c);
}

// close(handle): stops polling; the pcap handle closes once libuv lets go of its descriptor.
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  capture *c = get_capture(env, info, &argc, argv);
  if (c == NULL || c->closed) return NULL;
  c->closed = 1;
  if (c->polling) {
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, on_close);
  } else {
    pcap_close(c->p);
    free(c);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"info", NULL, js_info, NULL, NULL, NULL, napi_default, NULL},
    {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value v;
  napi_create_int32(env, REC_HDR, &v);
  napi_set_named_property(env, exports, "REC_HDR", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

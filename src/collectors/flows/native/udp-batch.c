// Batched UDP receive for the flow listeners (Linux): recvmmsg(2) fills a ring of fixed-size
// slots that JavaScript drains, so a burst of datagrams costs one system call and one call into
// JavaScript per batch instead of one of each per datagram (Node's dgram), and no copy.
//
// Shared with JavaScript through one Uint32Array `ctl` (same thread, so plain memory):
//   ctl[0] head     datagrams JavaScript has consumed (written by JavaScript)
//   ctl[1] tail     datagrams written into the ring (written here)
//   ctl[2] paused   1 while the ring is full and the socket is not polled (JavaScript resumes)
//   ctl[3] dropped  the kernel's count of datagrams dropped on this socket (SO_RXQ_OVFL)
//   ctl[4] truncated datagrams longer than a slot (MSG_TRUNC)
//   ctl[5] errors   receive errors other than EAGAIN/EINTR
//   ctl[HDR + i*META + k] for slot i: k=0 length, 1 source port, 2 family (4|6; 0: cut), 3..6 address
//     words in host order (IPv4: word 3 only; v4-mapped IPv6 sources are reported as IPv4).
// head and tail are free-running 32-bit counters: slot = counter % slots.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#ifndef SO_RXQ_OVFL
#define SO_RXQ_OVFL 40
#endif

#define HDR 8
#define META 7
#define MAX_BATCH 64
// recvmmsg calls per readiness callback before returning to the event loop (fairness).
#define MAX_ROUNDS 8
// A wake-up that found fewer datagrams than this waits HOLD_MS before polling again: under a steady
// stream each wake-up (epoll, recvmmsg, the call into JavaScript) then carries dozens of datagrams
// instead of a handful, which is most of what receiving costs per datagram. The socket buffer holds
// what arrives meanwhile (a millisecond at 250,000/s is 250 datagrams); a quiet socket pays at most
// HOLD_MS of latency.
#define COALESCE_MIN 32
#define HOLD_MS 1

typedef struct {
  int fd;
  int closed;
  int env_gone; // closed by the environment's cleanup: no N-API calls after it
  int holding;
  int open_handles;
  uv_poll_t poll;
  uv_timer_t hold;
  napi_env env;
  napi_ref data_ref, ctl_ref, cb_ref;
  napi_async_context async_ctx;
  uint8_t *data;
  uint32_t *ctl;
  size_t slot_size;
  uint32_t slots;
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  struct sockaddr_in6 addrs[MAX_BATCH];
  union {
    char buf[CMSG_SPACE(sizeof(uint32_t))];
    struct cmsghdr align;
  } cmsg[MAX_BATCH];
} receiver;

#define CHECK(env, call)                                           \
  do {                                                             \
    if ((call) != napi_ok) {                                       \
      napi_throw_error((env), "EADDON", "udp-batch: " #call);     \
      return NULL;                                                 \
    }                                                              \
  } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_value code, message, error;
  napi_create_string_utf8(env, err == EADDRINUSE ? "EADDRINUSE" : err == EACCES ? "EACCES" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : "ESOCKET", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_value errnum;
  napi_create_int32(env, err, &errnum);
  napi_set_named_property(env, error, "errno", errnum);
  napi_throw(env, error);
  return NULL;
}

static void notify(receiver *r) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(r->env, &scope) != napi_ok) return;
  napi_value cb, recv, result;
  if (napi_get_reference_value(r->env, r->cb_ref, &cb) == napi_ok && cb != NULL) {
    napi_get_global(r->env, &recv); // napi_make_callback needs an object receiver
    if (napi_make_callback(r->env, r->async_ctx, recv, cb, 0, NULL, &result) != napi_ok) {
      bool pending = false;
      napi_is_exception_pending(r->env, &pending);
      if (pending) {
        napi_value err;
        napi_get_and_clear_last_exception(r->env, &err);
        napi_fatal_exception(r->env, err);
      }
    }
  }
  napi_close_handle_scope(r->env, scope);
}

static void on_readable(uv_poll_t *handle, int status, int events);
static void on_env_cleanup(void *arg);

static void on_hold_done(uv_timer_t *t) {
  receiver *r = (receiver *)t->data;
  r->holding = 0;
  if (r->closed || r->ctl[2]) return; // paused on a full ring: resume() starts polling again
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  on_readable(&r->poll, 0, UV_READABLE);
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  receiver *r = (receiver *)handle->data;
  if (status < 0 || r->closed) return;
  uint32_t *ctl = r->ctl;
  int delivered = 0;
  for (int round = 0; round < MAX_ROUNDS; round++) {
    uint32_t used = ctl[1] - ctl[0];
    if (used >= r->slots) {
      // Ring full: leave the rest in the socket buffer until JavaScript catches up.
      uv_poll_stop(&r->poll);
      ctl[2] = 1;
      break;
    }
    uint32_t start = ctl[1] % r->slots;
    uint32_t n = r->slots - used;
    if (n > r->slots - start) n = r->slots - start;
    if (n > MAX_BATCH) n = MAX_BATCH;
    for (uint32_t i = 0; i < n; i++) {
      r->iov[i].iov_base = r->data + (size_t)(start + i) * r->slot_size;
      r->iov[i].iov_len = r->slot_size;
      struct msghdr *h = &r->msgs[i].msg_hdr;
      h->msg_name = &r->addrs[i];
      h->msg_namelen = sizeof r->addrs[i];
      h->msg_iov = &r->iov[i];
      h->msg_iovlen = 1;
      h->msg_control = r->cmsg[i].buf;
      h->msg_controllen = sizeof r->cmsg[i].buf;
      h->msg_flags = 0;
    }
    int got = recvmmsg(r->fd, r->msgs, n, MSG_DONTWAIT, NULL);
    if (got <= 0) {
      if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ctl[5]++;
      break;
    }
    for (int i = 0; i < got; i++) {
      struct msghdr *h = &r->msgs[i].msg_hdr;
      uint32_t *m = ctl + HDR + (size_t)(start + i) * META;
      m[0] = r->msgs[i].msg_len;
      const struct sockaddr *sa = (const struct sockaddr *)&r->addrs[i];
      if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        m[1] = ntohs(a->sin_port);
        m[2] = 4;
        m[3] = ntohl(a->sin_addr.s_addr);
      } else {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        const uint32_t *w = (const uint32_t *)a->sin6_addr.s6_addr;
        m[1] = ntohs(a->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
          m[2] = 4;
          m[3] = ntohl(w[3]);
        } else {
          m[2] = 6;
          for (int k = 0; k < 4; k++) m[3 + k] = ntohl(w[k]);
        }
      }
      if (h->msg_flags & MSG_TRUNC) {
        ctl[4]++;
        m[2] = 0; // family 0: JavaScript skips the slot; a cut datagram would only decode as garbage
      }
      for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t v;
          memcpy(&v, CMSG_DATA(c), sizeof v);
          ctl[3] = v;
        }
      }
    }
    ctl[1] += (uint32_t)got;
    delivered += got;
    if ((uint32_t)got < n) break; // socket drained
  }
  if (delivered > 0 && delivered < COALESCE_MIN && !ctl[2] && !r->closed) {
    uv_poll_stop(&r->poll);
    r->holding = 1;
    uv_timer_start(&r->hold, on_hold_done, HOLD_MS, 0);
  }
  if (delivered > 0 || ctl[2]) notify(r);
}

// open(host: string, port: number, family: 4 | 6, rcvbuf: number, reusePort?: boolean) → [fd, boundPort, grantedRcvbuf]
// reusePort sets SO_REUSEPORT before bind: several sockets (one per worker thread) share the port
// and the kernel spreads datagrams over them by a hash of the 4-tuple, so one exporter's source
// address and port always land on the same socket.
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char host[64];
  size_t hl;
  int32_t port, family, rcvbuf;
  CHECK(env, napi_get_value_string_utf8(env, argv[0], host, sizeof host, &hl));
  CHECK(env, napi_get_value_int32(env, argv[1], &port));
  CHECK(env, napi_get_value_int32(env, argv[2], &family));
  CHECK(env, napi_get_value_int32(env, argv[3], &rcvbuf));
  bool reuse_port = false;
  if (argc >= 5) napi_get_value_bool(env, argv[4], &reuse_port);
  struct sockaddr_in6 sa6;
  struct sockaddr_in sa4;
  memset(&sa6, 0, sizeof sa6);
  memset(&sa4, 0, sizeof sa4);
  if (family == 6) {
    sa6.sin6_family = AF_INET6;
    sa6.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &sa6.sin6_addr) != 1) return throw_errno(env, "bad IPv6 address", EINVAL);
  } else {
    sa4.sin_family = AF_INET;
    sa4.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa4.sin_addr) != 1) return throw_errno(env, "bad IPv4 address", EINVAL);
  }
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  // Best effort: without it the kernel's drop count is simply not reported.
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "SO_REUSEPORT", e);
  }
  int rc = family == 6 ? bind(fd, (struct sockaddr *)&sa6, sizeof sa6) : bind(fd, (struct sockaddr *)&sa4, sizeof sa4);
  if (rc < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind", e);
  }
  struct sockaddr_in6 bound;
  socklen_t bl = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &bl);
  int bport = ntohs(((struct sockaddr_in *)&bound)->sin_port); // same offset in both families
  int granted = 0;
  socklen_t gl = sizeof granted;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &gl);
  napi_value out, v;
  CHECK(env, napi_create_array_with_length(env, 3, &out));
  napi_create_int32(env, fd, &v);
  napi_set_element(env, out, 0, v);
  napi_create_int32(env, bport, &v);
  napi_set_element(env, out, 1, v);
  napi_create_int32(env, granted, &v);
  napi_set_element(env, out, 2, v);
  return out;
}

// start(fd, data: Buffer, slotSize, ctl: Uint32Array, onData: () => void) → handle
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, slot_size;
  CHECK(env, napi_get_value_int32(env, argv[0], &fd));
  CHECK(env, napi_get_value_int32(env, argv[2], &slot_size));
  void *data;
  size_t data_len;
  CHECK(env, napi_get_buffer_info(env, argv[1], &data, &data_len));
  napi_typedarray_type type;
  size_t ctl_len, offset;
  void *ctl;
  napi_value ab;
  CHECK(env, napi_get_typedarray_info(env, argv[3], &type, &ctl_len, &ctl, &ab, &offset));
  if (type != napi_uint32_array || slot_size <= 0) {
    napi_throw_type_error(env, NULL, "udp-batch: ctl must be a Uint32Array and slotSize positive");
    return NULL;
  }
  uint32_t slots = (uint32_t)(data_len / (size_t)slot_size);
  if (slots == 0 || ctl_len < HDR + (size_t)slots * META) {
    napi_throw_range_error(env, NULL, "udp-batch: ring and ctl sizes do not match");
    return NULL;
  }
  receiver *r = calloc(1, sizeof *r);
  if (r == NULL) {
    napi_throw_error(env, NULL, "udp-batch: out of memory");
    return NULL;
  }
  r->fd = fd;
  r->env = env;
  r->data = data;
  r->ctl = ctl;
  r->slot_size = (size_t)slot_size;
  r->slots = slots;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &r->poll, fd) != 0 || uv_timer_init(loop, &r->hold) != 0) {
    free(r);
    napi_throw_error(env, NULL, "udp-batch: cannot poll the socket");
    return NULL;
  }
  // Held until close(): the ring, the shared counters and the callback outlive this call.
  napi_create_reference(env, argv[1], 1, &r->data_ref);
  napi_create_reference(env, argv[3], 1, &r->ctl_ref);
  napi_create_reference(env, argv[4], 1, &r->cb_ref);
  napi_value name;
  napi_create_string_utf8(env, "canopy:udp-batch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &r->async_ctx);
  r->poll.data = r;
  r->hold.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  napi_add_env_cleanup_hook(env, on_env_cleanup, r);
  napi_value handle;
  CHECK(env, napi_create_external(env, r, NULL, NULL, &handle));
  return handle;
}

static receiver *get_receiver(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  if (napi_get_value_external(env, argv[0], &p) != napi_ok) return NULL;
  return (receiver *)p;
}

// resume(handle): polls again after JavaScript freed ring slots.
static napi_value js_resume(napi_env env, napi_callback_info info) {
  receiver *r = get_receiver(env, info);
  if (r != NULL && !r->closed && r->ctl[2]) {
    r->ctl[2] = 0;
    if (!r->holding) uv_poll_start(&r->poll, UV_READABLE, on_readable);
  }
  return NULL;
}

static void on_close(uv_handle_t *handle) {
  receiver *r = (receiver *)handle->data;
  if (--r->open_handles > 0) return; // the poll and the hold timer: freed after both
  if (!r->env_gone) {
    napi_delete_reference(r->env, r->data_ref);
    napi_delete_reference(r->env, r->ctl_ref);
    napi_delete_reference(r->env, r->cb_ref);
    napi_async_destroy(r->env, r->async_ctx);
  }
  free(r);
}

// close(handle): stops polling and closes the socket now; the receiver is freed once libuv has
// let go of the handle. The fd is closed here, not in on_close (a later loop turn), so the port is
// free when close() returns and a listener started right after a stop() can bind it; uv_poll_stop
// has already removed the fd from the loop's epoll set, which is what libuv asks before a close.
static void close_receiver(receiver *r) {
  r->closed = 1;
  uv_poll_stop(&r->poll);
  uv_timer_stop(&r->hold);
  close(r->fd);
  r->fd = -1;
  r->open_handles = 2;
  uv_close((uv_handle_t *)&r->poll, on_close);
  uv_close((uv_handle_t *)&r->hold, on_close);
}

// The environment goes away without close() (a worker thread that threw or was terminated): the
// socket must not outlive it — with SO_REUSEPORT the kernel would go on handing it an exporter's
// datagrams — and the thread's loop cannot finish while the poll handle is active.
static void on_env_cleanup(void *arg) {
  receiver *r = (receiver *)arg;
  r->env_gone = 1;
  if (!r->closed) close_receiver(r);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  receiver *r = get_receiver(env, info);
  if (r != NULL && !r->closed) {
    napi_remove_env_cleanup_hook(env, on_env_cleanup, r);
    close_receiver(r);
  }
  return NULL;
}

// closeFd(fd): for a socket opened but never started.
static napi_value js_close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(env, napi_get_value_int32(env, argv[0], &fd));
  close(fd);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
    {"resume", NULL, js_resume, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"closeFd", NULL, js_close_fd, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value v;
  napi_create_int32(env, HDR, &v);
  napi_set_named_property(env, exports, "HDR", v);
  napi_create_int32(env, META, &v);
  napi_set_named_property(env, exports, "META", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

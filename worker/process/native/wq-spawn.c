/*
 * wq-spawn PROGRAM [ARGS...]: starts PROGRAM for workqueue-worker, one message at a time.
 *
 * Why it exists: Node's child_process.spawn forks the whole ~50 MB Node process and blocks the
 * event loop until the child has exec'd (about 7 ms a message on the 2-core development VM).
 * This helper is small and starts programs with posix_spawn (vfork-like, no page-table copy),
 * so the worker's event loop never waits for a fork.
 *
 * Protocol (native byte order; the worker and this helper always run on the same machine):
 *   to the helper (stdin):
 *     'R' u32 tag_len, u32 env_len, u32 body_len, then the tag, env_len bytes of environment
 *         entries (each u32 n, then n bytes NAME=VALUE) that override the helper's own
 *         environment, and the message body: run the program once. Its stdout and stderr lines
 *         go to the helper's own stdout and stderr (the worker's), each prefixed with "[tag] ".
 *     'K' u32 signal: send it to the running program's process group.
 *   from the helper (fd 3): u8 type, u32 len, len bytes:
 *     'F' failed to start: u32 errno
 *     'E' refused the request's environment, the program was not run: u32 code (ENV_* below),
 *         u32 index of the first bad entry (0-based).
 *     'X' ended: u32 how (0 = exit code, 1 = signal), u32 value, u32 pid (= its process group),
 *         u32 left (1 when processes of that group were left when the program exited and got the
 *         SIGTERM below, 0 when the group was gone: the worker need not watch it). Sent once stdout
 *         and stderr are closed, or DRAIN_MS after the program exited (a background child may hold them).
 *   Frames are written in one go per wake-up, so a quick program costs the worker one read.
 * When the program exits, what is left of its process group gets SIGTERM; the worker sends KILL
 * to whatever ignores it, so nothing a message started outlives it. The helper exits when its
 * stdin closes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_MS 500
#define CHUNK 65536

extern char **environ;
/* False once the worker closed our stdin. */
static int ctl_open = 1;

static void die(const char *what) {
  fprintf(stderr, "wq-spawn: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  while (n > 0) {
    ssize_t r = read(fd, p, n);
    if (r == 0) return 0;
    if (r < 0) {
      if (errno == EINTR) continue;
      die("read request");
    }
    p += r;
    n -= (size_t)r;
  }
  return 1;
}

static void write_full(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      exit(0); /* the worker is gone: nothing left to report to */
    }
    p += w;
    n -= (size_t)w;
  }
}

/* Frames to the worker go to this descriptor. */
#define FRAMES_FD 3

/* Frames wait here until flush(): one write per wake-up instead of one per frame. */
static char *outbuf;
static size_t outlen, outcap;

static void flush(void) {
  write_full(FRAMES_FD, outbuf, outlen);
  outlen = 0;
}

static void frame(char type, const void *data, uint32_t len) {
  if (outlen + 5 + len > outcap) {
    flush();
    if (5 + (size_t)len > outcap) {
      outcap = 5 + (size_t)len;
      outbuf = realloc(outbuf, outcap);
      if (!outbuf) die("realloc");
    }
  }
  outbuf[outlen] = type;
  memcpy(outbuf + outlen + 1, &len, 4);
  if (len) memcpy(outbuf + outlen + 5, data, len);
  outlen += 5 + (size_t)len;
}

static void frame_u32s(char type, uint32_t a, uint32_t b, uint32_t c, uint32_t d, int count) {
  uint32_t v[4] = {a, b, c, d};
  frame(type, v, (uint32_t)(4 * count));
}

/*
 * Copies a program's output to `fd`, "[tag] " at the start of every line. Complete lines are
 * written at once; an unfinished last line is held back (up to CHUNK bytes, as line-tagger.ts
 * does) until its newline or the program's end, so that it reaches `fd` in one write and another
 * writer to the same output (the worker's log, another helper) cannot land in the middle of it.
 */
struct tagger {
  int fd;
  int at_line_start;
  size_t held_len;
  char held[CHUNK + 64];
};

static void tag_write(struct tagger *t, const char *tag, size_t tag_len, const char *data, size_t len) {
  static char out[4 * CHUNK + 256];
  size_t n = t->held_len, complete = 0;
  memcpy(out, t->held, t->held_len);
  t->held_len = 0;
  for (size_t i = 0; i < len;) {
    if (t->at_line_start) {
      if (n + tag_len + 3 > sizeof out) {
        write_full(t->fd, out, n);
        n = complete = 0;
      }
      out[n++] = '[';
      memcpy(out + n, tag, tag_len);
      n += tag_len;
      out[n++] = ']';
      out[n++] = ' ';
    }
    const char *nl = memchr(data + i, '\n', len - i);
    size_t end = nl ? (size_t)(nl - data) + 1 : len;
    if (n + (end - i) > sizeof out) {
      write_full(t->fd, out, n);
      write_full(t->fd, data + i, end - i);
      n = complete = 0;
    } else {
      memcpy(out + n, data + i, end - i);
      n += end - i;
      if (nl) complete = n;
    }
    t->at_line_start = nl != NULL;
    i = end;
  }
  if (n - complete < sizeof t->held) {
    write_full(t->fd, out, complete);
    memcpy(t->held, out + complete, n - complete);
    t->held_len = n - complete;
  } else {
    write_full(t->fd, out, n);
  }
}

static void tag_end(struct tagger *t) {
  if (t->held_len > 0) {
    t->held[t->held_len++] = '\n'; /* room: at most sizeof held - 1 bytes are held */
    write_full(t->fd, t->held, t->held_len);
  } else if (!t->at_line_start) {
    write_full(t->fd, "\n", 1);
  }
  t->held_len = 0;
  t->at_line_start = 1;
}

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * Why the request's environment is refused. Entries are length-prefixed, so a value holding a NUL
 * cannot smuggle in a second entry, and names are checked, so no entry can be read as something
 * else (BASH_FUNC_x%%, a name with '=' or a newline): the worker checks values, this is the
 * second line of defence.
 */
enum {
  ENV_NO_EQUALS = 1, /* no '=' */
  ENV_BAD_NAME = 2,  /* name not [A-Za-z_][A-Za-z0-9_]* */
  ENV_NUL = 3,       /* a NUL byte inside the entry */
  ENV_DUPLICATE = 4, /* the same name twice in one request */
  ENV_TRUNCATED = 5, /* an entry's length runs past the environment section */
};

static int valid_name(const char *s, size_t n) {
  if (n == 0 || !(s[0] == '_' || (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) return 0;
  for (size_t i = 1; i < n; i++) {
    char c = s[i];
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return 0;
  }
  return 1;
}

/* Length of the name of "NAME=VALUE" (the whole string when it has no '='). */
static size_t name_len(const char *entry) {
  const char *eq = strchr(entry, '=');
  return eq ? (size_t)(eq - entry) : strlen(entry);
}

/*
 * Turns the request's length-prefixed entries into NUL-terminated strings, in place (each entry
 * moves back over its own length prefix), and checks them. Returns the number of entries, or -1
 * with *code and *bad set.
 */
static long parse_env(char *env, uint32_t env_len, char ***out, uint32_t *code, uint32_t *bad) {
  size_t cap = env_len / 5 + 1, n = 0;
  char **entries = malloc(cap * sizeof *entries);
  if (!entries) die("malloc");
  char *w = env;
  for (uint32_t r = 0; r < env_len; n++) {
    *bad = (uint32_t)n;
    uint32_t len;
    if (env_len - r < 4) goto truncated;
    memcpy(&len, env + r, 4);
    r += 4;
    if (len > env_len - r) goto truncated;
    memmove(w, env + r, len);
    r += len;
    *code = memchr(w, '\0', len) ? ENV_NUL : !memchr(w, '=', len) ? ENV_NO_EQUALS : 0;
    if (!*code) {
      w[len] = '\0';
      size_t key = name_len(w);
      if (!valid_name(w, key)) *code = ENV_BAD_NAME;
      for (size_t j = 0; j < n && !*code; j++) {
        if (name_len(entries[j]) == key && memcmp(entries[j], w, key) == 0) *code = ENV_DUPLICATE;
      }
    }
    if (*code) {
      free(entries);
      return -1;
    }
    entries[n] = w;
    w += len + 1;
  }
  *out = entries;
  return (long)n;
truncated:
  *code = ENV_TRUNCATED;
  free(entries);
  return -1;
}

/* The request's entries, then the helper's own except those whose name a request entry has. */
static char **merge_env(char **given, size_t n) {
  size_t base = 0;
  while (environ[base]) base++;
  char **out = malloc((n + base + 1) * sizeof *out);
  if (!out) die("malloc");
  memcpy(out, given, n * sizeof *out);
  size_t m = n;
  for (size_t i = 0; i < base; i++) {
    size_t key = name_len(environ[i]);
    int overridden = 0;
    for (size_t j = 0; j < n && !overridden; j++) {
      overridden = name_len(given[j]) == key && memcmp(given[j], environ[i], key) == 0;
    }
    if (!overridden) out[m++] = environ[i];
  }
  out[m] = NULL;
  return out;
}

static void run(char **argv, char **envp, const char *tag, uint32_t tag_len, const char *body, uint32_t body_len) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) die("pipe");

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  /* The helper ignores only SIGPIPE (and blocks nothing); the program gets it back as default. */
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  posix_spawnattr_setsigdefault(&attr, &pipe_only);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF);

  pid_t pid;
  int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    frame_u32s('F', (uint32_t)rc, 0, 0, 0, 1);
    flush();
    return;
  }

  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* -1 on old kernels: then poll every 20 ms */
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  int in_fd = in[1], out_fd = out[0], err_fd = err[0];
  uint32_t written = 0;
  if (body_len == 0) {
    close(in_fd);
    in_fd = -1;
  }
  int exited = 0, status = 0, left = 0;
  long deadline = 0;
  static char buf[CHUNK];
  static struct tagger taggers[2];
  taggers[0] = (struct tagger){.fd = 1, .at_line_start = 1};
  taggers[1] = (struct tagger){.fd = 2, .at_line_start = 1};

  while (out_fd >= 0 || err_fd >= 0 || !exited) {
    struct pollfd p[5];
    int n = 0, i_in = -1, i_out = -1, i_err = -1, i_pid = -1, i_ctl = -1;
    if (ctl_open) p[i_ctl = n++] = (struct pollfd){0, POLLIN, 0};
    if (in_fd >= 0) p[i_in = n++] = (struct pollfd){in_fd, POLLOUT, 0};
    if (out_fd >= 0) p[i_out = n++] = (struct pollfd){out_fd, POLLIN, 0};
    if (err_fd >= 0) p[i_err = n++] = (struct pollfd){err_fd, POLLIN, 0};
    if (!exited && pidfd >= 0) p[i_pid = n++] = (struct pollfd){pidfd, POLLIN, 0};
    int timeout = exited ? (int)(deadline - now_ms()) : (pidfd >= 0 ? -1 : 20);
    if (exited && timeout <= 0) break;
    flush();
    if (poll(p, (nfds_t)n, timeout) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (i_ctl >= 0 && p[i_ctl].revents) {
      char type;
      uint32_t sig;
      if (!read_full(0, &type, 1) || !read_full(0, &sig, 4)) {
        ctl_open = 0; /* the worker is gone; finish this program, then exit */
      } else if (type == 'K') {
        kill(-pid, (int)sig);
      }
    }
    if (i_in >= 0 && p[i_in].revents) {
      ssize_t w = write(in_fd, body + written, body_len - written);
      if (w > 0) written += (uint32_t)w;
      /* EPIPE: the program exits without reading its input, which is allowed. */
      if (written == body_len || (w < 0 && errno != EAGAIN && errno != EINTR)) {
        close(in_fd);
        in_fd = -1;
      }
    }
    int *fds[2] = {&out_fd, &err_fd};
    int idx[2] = {i_out, i_err};
    for (int k = 0; k < 2; k++) {
      if (idx[k] < 0 || !p[idx[k]].revents) continue;
      ssize_t r = read(*fds[k], buf, sizeof buf);
      if (r > 0) {
        tag_write(&taggers[k], tag, tag_len, buf, (size_t)r);
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(*fds[k]);
        *fds[k] = -1;
      }
    }
    if (!exited && (pidfd < 0 || (i_pid >= 0 && p[i_pid].revents))) {
      pid_t w = waitpid(pid, &status, pidfd >= 0 ? 0 : WNOHANG);
      if (w == pid) {
        exited = 1;
        /* Children the program left behind end with it. A group found empty stays so: nothing can join it. */
        left = kill(-pid, SIGTERM) == 0;
        deadline = now_ms() + DRAIN_MS;
      }
    }
  }
  tag_end(&taggers[0]);
  tag_end(&taggers[1]);
  if (in_fd >= 0) close(in_fd);
  if (out_fd >= 0) close(out_fd);
  if (err_fd >= 0) close(err_fd);
  if (pidfd >= 0) close(pidfd);
  if (WIFSIGNALED(status)) frame_u32s('X', 1, (uint32_t)WTERMSIG(status), (uint32_t)pid, (uint32_t)left, 4);
  else frame_u32s('X', 0, (uint32_t)WEXITSTATUS(status), (uint32_t)pid, (uint32_t)left, 4);
  flush();
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: wq-spawn PROGRAM [ARGS...]   (started by workqueue-worker; requests on stdin)\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  /* Programs must not hold the frame pipe: the worker sees the helper end by its EOF. */
  if (fcntl(FRAMES_FD, F_SETFD, FD_CLOEXEC) < 0) die("frames descriptor 3");
  while (ctl_open) {
    char type;
    uint32_t head[3];
    if (!read_full(0, &type, 1)) return 0;
    if (type == 'K') { /* a kill for a program that has already ended: nothing to do */
      if (!read_full(0, head, 4)) return 0;
      continue;
    }
    if (type != 'R') {
      fprintf(stderr, "wq-spawn: unknown request type %d\n", type);
      return 1;
    }
    if (!read_full(0, head, sizeof head)) return 0;
    size_t total = (size_t)head[0] + head[1] + head[2];
    char *data = malloc(total + 1);
    if (!data) die("malloc");
    if (!read_full(0, data, total)) return 0;
    char **given;
    uint32_t code, bad;
    long n = parse_env(data + head[0], head[1], &given, &code, &bad);
    if (n < 0) {
      frame_u32s('E', code, bad, 0, 0, 2);
      flush();
    } else {
      char **envp = merge_env(given, (size_t)n);
      run(argv + 1, envp, data, head[0], data + head[0] + head[1], head[2]);
      free(envp);
      free(given);
    }
    free(data);
  }
}

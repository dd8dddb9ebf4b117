/* gst-v4l2-elastic
 *
 * A fault injector for tests only, loaded with LD_PRELOAD: fails chosen
 * calls of the V4L2 and media ioctls (and poll) that the decoder issues,
 * with the errno the kernel documents for them, so that every failure
 * path of the element can be driven on a real driver.
 *
 *   V4L2ELASTIC_FAULT="NAME:N:ERRNO[,NAME:N:ERRNO...]"
 *       fail the N-th call (from 1) of NAME with ERRNO (a name such as
 *       EINVAL); the call does not reach the kernel
 *   V4L2ELASTIC_FAULT_COUNT=FILE
 *       at exit, write "NAME CALLS" for every ioctl seen, to FILE
 *
 * NAME is the ioctl without its prefix (CREATE_BUFS, REMOVE_BUFS, EXPBUF,
 * QBUF, DQBUF, STREAMON, S_FMT, S_EXT_CTRLS, REQUEST_ALLOC,
 * REQUEST_QUEUE, REQUEST_REINIT, ...) or "poll".
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/media.h>
#include <linux/videodev2.h>

#include "../../gst/v4l2/v4l2-compat.h"

typedef struct
{
  const char *name;
  unsigned long request;
  unsigned calls;
  unsigned fail_at; /* 0: never */
  int fail_errno;
} Entry;

#define ENTRY(n, r)                                                            \
  {                                                                            \
    n, r, 0, 0, 0                                                              \
  }

static Entry entries[] = {
  ENTRY ("QUERYCAP", VIDIOC_QUERYCAP),
  ENTRY ("ENUM_FMT", VIDIOC_ENUM_FMT),
  ENTRY ("G_FMT", VIDIOC_G_FMT),
  ENTRY ("S_FMT", VIDIOC_S_FMT),
  ENTRY ("TRY_FMT", VIDIOC_TRY_FMT),
  ENTRY ("REQBUFS", VIDIOC_REQBUFS),
  ENTRY ("CREATE_BUFS", VIDIOC_CREATE_BUFS),
  ENTRY ("REMOVE_BUFS", VIDIOC_REMOVE_BUFS),
  ENTRY ("QUERYBUF", VIDIOC_QUERYBUF),
  ENTRY ("EXPBUF", VIDIOC_EXPBUF),
  ENTRY ("QBUF", VIDIOC_QBUF),
  ENTRY ("DQBUF", VIDIOC_DQBUF),
  ENTRY ("STREAMON", VIDIOC_STREAMON),
  ENTRY ("STREAMOFF", VIDIOC_STREAMOFF),
  ENTRY ("S_EXT_CTRLS", VIDIOC_S_EXT_CTRLS),
  ENTRY ("QUERY_EXT_CTRL", VIDIOC_QUERY_EXT_CTRL),
  ENTRY ("REQUEST_ALLOC", MEDIA_IOC_REQUEST_ALLOC),
  ENTRY ("REQUEST_QUEUE", MEDIA_REQUEST_IOC_QUEUE),
  ENTRY ("REQUEST_REINIT", MEDIA_REQUEST_IOC_REINIT),
  ENTRY ("poll", 0),
};

#define N_ENTRIES (sizeof (entries) / sizeof (entries[0]))
#define POLL_ENTRY (&entries[N_ENTRIES - 1])

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int (*real_ioctl) (int, unsigned long, void *);
static int (*real_poll) (struct pollfd *, nfds_t, int);

static const struct
{
  const char *name;
  int value;
} errnos[] = {
  { "EINVAL", EINVAL },
  { "EBUSY", EBUSY },
  { "ENOMEM", ENOMEM },
  { "ENOBUFS", ENOBUFS },
  { "EIO", EIO },
  { "EAGAIN", EAGAIN },
  { "EINTR", EINTR },
  { "ENOSPC", ENOSPC },
  { "EPIPE", EPIPE },
  { "ENOTTY", ENOTTY },
};

static int
errno_from_name (const char *name)
{
  unsigned i;

  for (i = 0; i < sizeof (errnos) / sizeof (errnos[0]); i++)
    if (strcmp (errnos[i].name, name) == 0)
      return errnos[i].value;
  return atoi (name);
}

static void
write_counts (void)
{
  const char *path = getenv ("V4L2ELASTIC_FAULT_COUNT");
  FILE *f;
  unsigned i;

  if (!path || !(f = fopen (path, "w")))
    return;
  for (i = 0; i < N_ENTRIES; i++)
    if (entries[i].calls)
      fprintf (f, "%s %u\n", entries[i].name, entries[i].calls);
  fclose (f);
}

static void
setup (void)
{
  const char *spec = getenv ("V4L2ELASTIC_FAULT");
  char *copy, *item, *save = NULL;

  real_ioctl =
      (int (*) (int, unsigned long, void *)) dlsym (RTLD_NEXT, "ioctl");
  real_poll =
      (int (*) (struct pollfd *, nfds_t, int)) dlsym (RTLD_NEXT, "poll");
  atexit (write_counts);
  if (!spec)
    return;
  copy = strdup (spec);
  for (item = strtok_r (copy, ",", &save); item;
       item = strtok_r (NULL, ",", &save)) {
    char name[64], err[32];
    unsigned n, i;

    if (sscanf (item, "%63[^:]:%u:%31s", name, &n, err) != 3) {
      fprintf (stderr, "ioctl-fault: cannot read \"%s\"\n", item);
      continue;
    }
    for (i = 0; i < N_ENTRIES; i++)
      if (strcmp (entries[i].name, name) == 0) {
        entries[i].fail_at = n;
        entries[i].fail_errno = errno_from_name (err);
        break;
      }
    if (i == N_ENTRIES)
      fprintf (stderr, "ioctl-fault: unknown ioctl \"%s\"\n", name);
  }
  free (copy);
}

/* Counts the call; returns the errno to fail it with, or 0. */
static int
count_call (Entry *e)
{
  int fail = 0;

  pthread_mutex_lock (&lock);
  e->calls++;
  if (e->fail_at && e->calls == e->fail_at) {
    fail = e->fail_errno;
    fprintf (stderr, "ioctl-fault: failing %s call %u with %s\n", e->name,
        e->calls, strerror (fail));
  }
  pthread_mutex_unlock (&lock);
  return fail;
}

int
ioctl (int fd, unsigned long request, ...)
{
  va_list ap;
  void *arg;
  unsigned i;
  int fail = 0;

  va_start (ap, request);
  arg = va_arg (ap, void *);
  va_end (ap);
  pthread_once (&once, setup);

  for (i = 0; i < N_ENTRIES - 1; i++)
    if (entries[i].request == request) {
      fail = count_call (&entries[i]);
      break;
    }
  if (fail) {
    errno = fail;
    return -1;
  }
  return real_ioctl (fd, request, arg);
}

int
poll (struct pollfd *fds, nfds_t nfds, int timeout)
{
  int fail;

  pthread_once (&once, setup);
  fail = count_call (POLL_ENTRY);
  if (fail) {
    errno = fail;
    return -1;
  }
  return real_poll (fds, nfds, timeout);
}

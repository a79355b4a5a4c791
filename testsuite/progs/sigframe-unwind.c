/* Unwinding through the signal frames of an IA-32 program (issue 15,
   item 4), built -m32 -fexceptions for the i686 guest tests
   (kml.trusted/sigframe-unwind-i686.exp), dynamic and static.

   - A handler for a signal raised two calls deep walks the stack with
     backtrace () and with _Unwind_Backtrace (), for an rt frame
     (SA_SIGINFO) and for an old-style one: both must go through the
     signal frame, i.e. find the unwind information of the kernel's
     restorer, and reach main ().
   - A thread blocked in read () made by `call *%esi' to AT_SYSINFO (not
     glibc's `call *%gs:0x10'; `int $0x80' when there is no AT_SYSINFO,
     without a vDSO outside Kernel Mode Linux) is sent a signal with
     SA_RESTART: the handler must unwind from the PC the kernel restarts
     the call at to the thread's function, and read () then gets its
     byte.
   - pthread_cancel () of a thread blocked in glibc's read (): glibc
     unwinds the thread from the cancellation signal's handler, which runs
     the thread's __attribute__ ((cleanup)) handler and, -fexceptions
     being on, its pthread_cleanup_push () handler (also a cleanup
     attribute then) only if the unwinder gets through the signal frame.

   A signal or cancellation is sent only once /proc shows the thread
   asleep (wait-sleeping.h), never after a delay.  One line per check, the
   same from /trusted under Kernel Mode Linux as from anywhere else; the
   exit status is 0 when every check passed.  */

#define _GNU_SOURCE
#include <execinfo.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unwind.h>

#include "wait-sleeping.h"

#ifndef __EXCEPTIONS
# error "build with -fexceptions"
#endif

#define MAX_FRAMES 64

/* Written by the handler.  */
static void *bt_ips[MAX_FRAMES];
static volatile int bt_n;
static void *uw_ips[MAX_FRAMES];
static volatile int uw_n;
static volatile int handled;

static _Unwind_Reason_Code
collect (struct _Unwind_Context *context, void *arg)
{
  (void) arg;
  if (uw_n < MAX_FRAMES)
    uw_ips[uw_n++] = (void *) _Unwind_GetIP (context);
  return _URC_NO_REASON;
}

static void
walk (void)
{
  bt_n = backtrace (bt_ips, MAX_FRAMES);
  uw_n = 0;
  _Unwind_Backtrace (collect, NULL);
  handled = 1;
}

static void
rt_handler (int sig, siginfo_t *si, void *ctx)
{
  (void) sig;
  (void) si;
  (void) ctx;
  walk ();
}

static void
handler (int sig)
{
  (void) sig;
  walk ();
}

static int
found (void **ips, int n, void *ip)
{
  for (int i = 0; i < n; i++)
    if (ips[i] == ip)
      return 1;
  return 0;
}

static int failures;

/* Whether both unwinders found every one of the N return addresses in
   WANT: one line each.  */
static void
report (const char *what, void **want, int n, const char *where)
{
  int bt = 1, uw = 1;

  for (int i = 0; i < n; i++)
    {
      bt &= found (bt_ips, bt_n, want[i]);
      uw &= found (uw_ips, uw_n, want[i]);
    }
  printf ("%s: backtrace (): %s %s\n", what,
	  bt ? "through the signal frame to" : "stops before", where);
  printf ("%s: _Unwind_Backtrace (): %s %s\n", what,
	  uw ? "through the signal frame to" : "stops before", where);
  failures += !bt + !uw;
}

/* Signals raised two calls deep in the main thread.  */

static void *in_caller, *in_main;
static int signo;

static void __attribute__ ((noinline))
raiser (void)
{
  in_caller = __builtin_return_address (0);
  raise (signo);
  /* Not a tail call.  */
  asm volatile ("" ::: "memory");
}

static void __attribute__ ((noinline))
caller (void)
{
  in_main = __builtin_return_address (0);
  raiser ();
  asm volatile ("" ::: "memory");
}

static void
check_raise (const char *what, int sig)
{
  void *want[2];

  signo = sig;
  handled = 0;
  caller ();
  asm volatile ("" ::: "memory");
  want[0] = in_caller;
  want[1] = in_main;
  if (!handled)
    {
      printf ("%s: no signal\n", what);
      failures++;
      return;
    }
  report (what, want, 2, "main ()");
}

/* A read () restarted after a handler, made by a call of AT_SYSINFO that
   is not glibc's `call *%gs:0x10', or by int $0x80 without one.  */

static void *sysinfo;
static void *in_reader;
static volatile pid_t reader_tid;

static long __attribute__ ((noinline))
read_via_sysinfo (int fd, void *buf, unsigned long len)
{
  long ret;

  in_reader = __builtin_return_address (0);
  if (sysinfo != NULL)
    asm volatile ("call *%[entry]"
		  : "=a" (ret)
		  : "0" (SYS_read), "b" (fd), "c" (buf), "d" (len),
		    [entry] "S" (sysinfo)
		  : "memory", "cc");
  else
    asm volatile ("int $0x80"
		  : "=a" (ret)
		  : "0" (SYS_read), "b" (fd), "c" (buf), "d" (len)
		  : "memory", "cc");
  return ret;
}

static void *
restarted_reader (void *arg)
{
  char c;
  long ret;

  reader_tid = gettid ();
  ret = read_via_sysinfo (*(int *) arg, &c, 1);
  asm volatile ("" ::: "memory");
  return (void *) ret;
}

/* Start FN (FD) on a new thread and wait until it is blocked, asleep in
   the kernel (its read): false, after saying so, if there is no thread.  */
static bool
start_blocked_reader (const char *what, void *(*fn) (void *), int *fd,
		      pthread_t *thread)
{
  reader_tid = 0;
  if (pthread_create (thread, NULL, fn, fd) != 0)
    {
      printf ("%s: no thread\n", what);
      failures++;
      return false;
    }
  while (reader_tid == 0)
    sched_yield ();
  wait_until_sleeping (reader_tid);
  return true;
}

static void
check_restart (void)
{
  const char *what = "restart of a read () not made by glibc";
  struct sigaction sa = { .sa_sigaction = rt_handler,
			  .sa_flags = SA_SIGINFO | SA_RESTART };
  int fds[2];
  pthread_t thread;
  void *ret;

  sysinfo = (void *) getauxval (AT_SYSINFO);
  if (pipe (fds) != 0 || sigaction (SIGUSR1, &sa, NULL) != 0)
    {
      printf ("%s: no pipe or handler\n", what);
      failures++;
      return;
    }
  handled = 0;
  if (!start_blocked_reader (what, restarted_reader, &fds[0], &thread))
    return;
  pthread_kill (thread, SIGUSR1);
  while (!handled)
    sched_yield ();
  if (write (fds[1], "x", 1) != 1)
    failures++;
  pthread_join (thread, &ret);
  report (what, &in_reader, 1, "the thread");
  printf ("%s: read () returned %ld\n", what, (long) ret);
  failures += (long) ret != 1;
  close (fds[0]);
  close (fds[1]);
}

/* pthread_cancel () of a thread blocked in glibc's read ().  */

static volatile int attribute_ran, push_ran;

static void
note_attribute (int *unused)
{
  (void) unused;
  attribute_ran = 1;
}

static void
note_push (void *unused)
{
  (void) unused;
  push_ran = 1;
}

static void *
canceled_reader (void *arg)
{
  int guard __attribute__ ((cleanup (note_attribute))) = 0;
  char c;

  pthread_cleanup_push (note_push, NULL);
  reader_tid = gettid ();
  if (read (*(int *) arg, &c, 1) < 0)
    guard = 1;
  pthread_cleanup_pop (0);
  return (void *) (long) guard;
}

static void
check_cancel (void)
{
  const char *what = "pthread_cancel () in read ()";
  int fds[2];
  pthread_t thread;
  void *ret;

  if (pipe (fds) != 0)
    {
      printf ("%s: no pipe\n", what);
      failures++;
      return;
    }
  if (!start_blocked_reader (what, canceled_reader, &fds[0], &thread))
    return;
  pthread_cancel (thread);
  pthread_join (thread, &ret);
  printf ("%s: %s\n", what,
	  ret == PTHREAD_CANCELED ? "canceled" : "not canceled");
  printf ("%s: __attribute__ ((cleanup)) handler %s\n", what,
	  attribute_ran ? "ran" : "did not run");
  printf ("%s: pthread_cleanup_push () handler %s\n", what,
	  push_ran ? "ran" : "did not run");
  failures += (ret != PTHREAD_CANCELED) + !attribute_ran + !push_ran;
  close (fds[0]);
  close (fds[1]);
}

int
main (void)
{
  struct sigaction rt = { .sa_sigaction = rt_handler,
			  .sa_flags = SA_SIGINFO };
  struct sigaction old = { .sa_handler = handler };

  setvbuf (stdout, NULL, _IONBF, 0);
  if (sigaction (SIGUSR1, &rt, NULL) != 0
      || sigaction (SIGUSR2, &old, NULL) != 0)
    return 1;
  check_raise ("rt signal frame", SIGUSR1);
  check_raise ("signal frame", SIGUSR2);
  check_restart ();
  check_cancel ();
  return failures != 0;
}

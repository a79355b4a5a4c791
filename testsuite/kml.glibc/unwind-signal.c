/* Unwinding out of a signal handler through glibc's signal restorer
   (x86-64; issue 15, item 3).  A handler for a signal raised two calls
   deep walks the stack with backtrace () and with _Unwind_Backtrace (),
   which must both pass the signal frame, i.e. find the restorer's unwind
   information, and reach the function that raised the signal and its
   caller.  The restorer itself is read back with sigaction (): the
   classic one has the bytes that unwinders without unwind information
   look for (48 c7 c0 0f 00 00 00 0f 05, `mov $15, %rax; syscall'); a
   Kernel Mode Linux task gets __restore_rt_kml instead.

   With an argument, the distance in bytes (signed, decimal or 0x...)
   from getppid to __restore_rt_kml in the libc in use (from nm), the same
   checks run once more with the KML twin
   installed by hand (rt_sigaction with SA_RESTORER): on a stock kernel it
   takes its `syscall' fallback and must be just as unwindable.

   One line per check, the same with any correct glibc on a stock kernel;
   from /trusted under KML only the restorer line differs.  */

#define _GNU_SOURCE
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <unwind.h>

#define MAX_FRAMES 64

/* The return address of raiser () into caller (), taken before the
   signal: the handler runs inside raise (), called by raiser (), so an
   unwinder that finds it went through the signal frame.  */
static void *in_caller;
/* Written by the handler.  */
static void *frames[MAX_FRAMES];
static volatile int nframes;
static volatile int unwound;

static const unsigned char classic_restorer[] =
  { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };

static _Unwind_Reason_Code
collect (struct _Unwind_Context *context, void *arg)
{
  void **ips = arg;

  if (unwound < MAX_FRAMES)
    ips[unwound++] = (void *) _Unwind_GetIP (context);
  return _URC_NO_REASON;
}

static void *unwind_ips[MAX_FRAMES];

static void
handler (int sig, siginfo_t *si, void *ctx)
{
  (void) sig;
  (void) si;
  (void) ctx;
  nframes = backtrace (frames, MAX_FRAMES);
  _Unwind_Backtrace (collect, unwind_ips);
}

static int
found (void **ips, int n, void *ip)
{
  for (int i = 0; i < n; i++)
    if (ips[i] == ip)
      return 1;
  return 0;
}

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
  raiser ();
  asm volatile ("" ::: "memory");
}

/* Raise SIG two calls deep and say whether both unwinders got out of the
   handler.  */
static void
check (const char *what, int sig)
{
  signo = sig;
  nframes = unwound = 0;
  caller ();
  /* What the handler wrote.  */
  asm volatile ("" ::: "memory");
  printf ("%sbacktrace (): %s\n", what,
	  found (frames, nframes, in_caller) ? "through the signal frame"
	  : "stops at the signal frame");
  printf ("%s_Unwind_Backtrace (): %s\n", what,
	  found (unwind_ips, unwound, in_caller) ? "through the signal frame"
	  : "stops at the signal frame");
}

/* The kernel's struct sigaction on x86-64.  */
struct kernel_sigaction
{
  void *handler;
  unsigned long flags;
  void *restorer;
  unsigned long mask;
};

int
main (int argc, char **argv)
{
  struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO };
  struct sigaction old;

  setvbuf (stdout, NULL, _IONBF, 0);
  sigaction (SIGUSR1, &sa, NULL);
  sigaction (SIGUSR1, NULL, &old);
  printf ("restorer: %s\n",
	  old.sa_restorer == NULL ? "none"
	  : memcmp ((const void *) old.sa_restorer, classic_restorer,
		    sizeof classic_restorer) == 0 ? "classic bytes" : "other");
  check ("", SIGUSR1);

  if (argc > 1)
    {
      struct kernel_sigaction ka =
	{
	  .handler = (void *) handler,
	  .flags = SA_SIGINFO | 0x04000000 /* SA_RESTORER */,
	  .restorer = (char *) getppid + strtol (argv[1], NULL, 0),
	};

      if (syscall (SYS_rt_sigaction, SIGUSR2, &ka, NULL, 8) != 0)
	abort ();
      check ("__restore_rt_kml: ", SIGUSR2);
    }
  return 0;
}

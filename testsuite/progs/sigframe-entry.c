/* Signals that find an IA-32 thread at the first instruction of the
   system call entry, AT_SYSINFO (issue 15, item 4): kml_entry32 under
   Kernel Mode Linux, before the entry has done anything, and
   __kernel_vsyscall elsewhere.  Built -m32 for the i686 guest tests
   (kml.trusted/sigframe-unwind-i686.exp).

   - Exactly there: the thread single-steps (EFLAGS.TF) into glibc's
     write () to /dev/null; its `call *%gs:0x10' traps with the PC at
     AT_SYSINFO.  The SIGTRAP handler walks the stack with backtrace ()
     there (it must reach the caller of the function that calls
     write ()) and clears TF, and write () must return its length once the
     handler has returned to the entry.
   - By chance: a timer sends SIGALRM every millisecond while the thread
     makes write () calls of changing lengths.  Under QEMU's TCG an
     interrupt is taken only where a translation block starts, and one
     starts at the entry after every call of it, so many signals find the
     thread there.  Every write () must return its length, and
     backtrace () in the handler must reach the caller of the function
     that makes the calls from every signal,
     counted apart for those at AT_SYSINFO, or at the vDSO's
     __kernel_kml_restart, where Kernel Mode Linux delivers a signal that
     found the thread at its entry (the same stack, with unwind
     information).

   One line per check, the same from /trusted under Kernel Mode Linux as
   from anywhere else, except the first line of the timer's part, which
   gives its counts (they vary from run to run); the exit status is 0 when
   every check passed.  */

#define _GNU_SOURCE
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <sys/ucontext.h>
#include <unistd.h>

#define MAX_FRAMES 64
#define SIGNALS 2000

#define X86_EFLAGS_TF 0x100

static void *sysinfo, *in_caller;

/* Whether backtrace () in a handler found IN_CALLER, the return address
   into the caller of the function that makes the system calls.  */
static int
unwinds_to_caller (void)
{
  void *ips[MAX_FRAMES];
  int n = backtrace (ips, MAX_FRAMES);

  for (int i = 0; i < n; i++)
    if (ips[i] == in_caller)
      return 1;
  return 0;
}

/* A single step into the entry.  */

static volatile int stepped_to_entry, stepped_unwound;

static void
on_step (int sig, siginfo_t *si, void *ctx)
{
  greg_t *regs = ((ucontext_t *) ctx)->uc_mcontext.gregs;

  (void) sig;
  (void) si;
  if ((void *) regs[REG_EIP] != sysinfo)
    return;
  stepped_to_entry = 1;
  stepped_unwound = unwinds_to_caller ();
  regs[REG_EFL] &= ~X86_EFLAGS_TF;
}

static int __attribute__ ((noinline))
step_into_write (int fd)
{
  static const char buf[7];
  ssize_t ret;

  in_caller = __builtin_return_address (0);
  asm volatile ("pushfl; orl %0, (%%esp); popfl"
		:: "i" (X86_EFLAGS_TF) : "memory", "cc");
  ret = write (fd, buf, sizeof buf);
  /* Without AT_SYSINFO (int $0x80), the thread is still stepping.  */
  asm volatile ("pushfl; andl %0, (%%esp); popfl"
		:: "i" (~X86_EFLAGS_TF) : "memory", "cc");
  return ret == sizeof buf;
}

static int
check_step (int fd)
{
  const char *what = "single step to AT_SYSINFO";
  struct sigaction sa = { .sa_sigaction = on_step,
			  .sa_flags = SA_SIGINFO };
  int written;

  if (sysinfo == NULL)
    {
      printf ("%s: no AT_SYSINFO\n", what);
      return 0;
    }
  if (sigaction (SIGTRAP, &sa, NULL) != 0)
    {
      printf ("%s: no handler\n", what);
      return 1;
    }
  written = step_into_write (fd);
  if (!stepped_to_entry)
    {
      printf ("%s: never there\n", what);
      return 1;
    }
  printf ("%s: backtrace (): %s the caller\n", what,
	  stepped_unwound ? "through the signal frame to" : "stops before");
  printf ("%s: write () %s its length\n", what,
	  written ? "returned" : "did not return");
  return !stepped_unwound + !written;
}

/* Timer signals during write () calls.  */

/* Written by the handler.  */
static volatile int signals, at_entry, at_entry_unwound, elsewhere_unwound;

/* Whether a signal found the thread at the entry: PC is AT_SYSINFO, or
   the vDSO's __kernel_kml_restart, where the kernel moves such a signal.
   That function is not among the vDSO's exported symbols; it is a jump
   to AT_SYSINFO (e9 and a 32-bit displacement), which no code of the C
   library or of this program is.  */
static int
at_entry_pc (void *pc)
{
  const unsigned char *insn = pc;
  int32_t displacement;

  if (sysinfo == NULL)
    return 0;
  if (pc == sysinfo)
    return 1;
  if (insn[0] != 0xe9)
    return 0;
  memcpy (&displacement, insn + 1, sizeof displacement);
  return insn + 5 + displacement == (const unsigned char *) sysinfo;
}

static void
on_alarm (int sig, siginfo_t *si, void *ctx)
{
  void *pc = (void *) ((ucontext_t *) ctx)->uc_mcontext.gregs[REG_EIP];
  int unwound = unwinds_to_caller ();

  (void) sig;
  (void) si;
  if (at_entry_pc (pc))
    {
      at_entry++;
      at_entry_unwound += unwound;
    }
  else
    elsewhere_unwound += unwound;
  signals++;
}

/* The write () calls until SIGNALS signals came: how many returned
   something else than their length.  */
static int __attribute__ ((noinline))
hammer (int fd)
{
  static const char buf[97];
  const struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };
  const struct itimerval off = { { 0, 0 }, { 0, 0 } };
  int wrong = 0;

  in_caller = __builtin_return_address (0);
  setitimer (ITIMER_REAL, &every_ms, NULL);
  for (unsigned int i = 0; signals < SIGNALS; i++)
    {
      size_t len = 1 + i % sizeof buf;

      wrong += write (fd, buf, len) != (ssize_t) len;
    }
  setitimer (ITIMER_REAL, &off, NULL);
  /* Not a tail call.  */
  asm volatile ("" ::: "memory");
  return wrong;
}

static int
check_timer (int fd)
{
  const char *what = "timer signals during write ()";
  struct sigaction sa = { .sa_sigaction = on_alarm,
			  .sa_flags = SA_SIGINFO };
  int wrong;

  if (sigaction (SIGALRM, &sa, NULL) != 0)
    {
      printf ("%s: no handler\n", what);
      return 1;
    }
  wrong = hammer (fd);
  printf ("%s: %d, at AT_SYSINFO: %d\n", what, signals, at_entry);
  printf ("%s: %s\n", what, wrong == 0
	  ? "every write () returned its length"
	  : "a write () did not return its length");
  printf ("%s: backtrace (): %s the caller from every one elsewhere\n", what,
	  elsewhere_unwound == signals - at_entry
	  ? "through the signal frame to" : "stops before");
  printf ("%s: backtrace (): %s the caller from every one at AT_SYSINFO\n",
	  what, at_entry_unwound == at_entry
	  ? "through the signal frame to" : "stops before");
  return (wrong != 0) + (elsewhere_unwound != signals - at_entry)
	 + (at_entry_unwound != at_entry);
}

int
main (void)
{
  void *ips[MAX_FRAMES];
  int fd = open ("/dev/null", O_WRONLY), failures;

  setvbuf (stdout, NULL, _IONBF, 0);
  if (fd < 0)
    {
      printf ("no /dev/null\n");
      return 1;
    }
  sysinfo = (void *) getauxval (AT_SYSINFO);
  /* backtrace () loads libgcc_s at its first call: not in a handler.  */
  backtrace (ips, MAX_FRAMES);
  failures = check_step (fd);
  failures += check_timer (fd);
  return failures != 0;
}

/* Syscall user dispatch and the signal restorers of IA-32 programs
   (kml.trusted/sud-sigreturn-i686.exp).

   Syscall user dispatch (prctl PR_SET_SYSCALL_USER_DISPATCH) turns every
   system call made outside an allowed region while the selector byte says
   BLOCK into a SIGSYS.  The handler then returns with the selector still
   at BLOCK, as a SUD emulator does, and its sigreturn must be let through:
   the kernel does so when it comes from the kernel's own restorers (the
   vDSO's at CPL3, arch_syscall_is_vdso_sigreturn ()).  A KML task returns
   through the KML twins of those restorers (or, without a vDSO, through
   its [kml] page), which the kernel must recognise as well.

   Four ways to install the handler, each in a child of its own, so that a
   sigreturn dispatched as SIGSYS only ends that child:
   - glibc's sigaction (), SA_SIGINFO: an rt frame; with a vDSO glibc passes
     no restorer, so the kernel's; without one glibc's own.
   - glibc's sigaction () without SA_SIGINFO: an old-style frame, likewise.
   - the raw rt_sigaction without SA_RESTORER: the kernel's restorer.
   - the raw (old) sigaction without SA_RESTORER: the kernel's restorer.
   The allowed region is empty, so every system call is subject to the
   selector.  A sigreturn dispatched as SIGSYS finds SIGSYS blocked (the
   handler's mask): the kernel kills the child with it ("killed by signal
   31").  An rt handler makes the blocked getppid () return 4242; an
   old-style one cannot, and getppid () returns what SUD leaves in EAX, the
   system call number.

   Without a vDSO a task that is not a KML task has no kernel restorer but
   code on the signal stack (not executable): the raw cases are skipped
   there.  Prints one line per case; exits with the number of cases that
   did not return from the handler.  */

#define _GNU_SOURCE 1
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/wait.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef SYSCALL_DISPATCH_FILTER_ALLOW
#define SYSCALL_DISPATCH_FILTER_ALLOW 0
#define SYSCALL_DISPATCH_FILTER_BLOCK 1
#endif
#ifndef SYS_USER_DISPATCH
#define SYS_USER_DISPATCH 2
#endif

#ifndef __i386__
#error "an IA-32 test: build with -m32"
#endif

static volatile char selector = SYSCALL_DISPATCH_FILTER_ALLOW;
static volatile int sigsys_count;
static volatile int sigsys_nr = -1;
static volatile int sigsys_code = -1;

static void
handler_rt (int sig, siginfo_t *info, void *ctx)
{
  ucontext_t *uc = ctx;

  (void) sig;
  sigsys_count++;
  sigsys_nr = info->si_syscall;
  sigsys_code = info->si_code;
  uc->uc_mcontext.gregs[REG_EAX] = 4242;
  /* Return with the selector at BLOCK.  */
}

static void
handler_old (int sig)
{
  (void) sig;
  sigsys_count++;
}

/* The i386 kernel's struct sigaction of rt_sigaction and of sigaction.  */
struct kernel_rt_sigaction
{
  void *handler;
  unsigned long flags;
  void *restorer;
  unsigned long long mask;
};

struct kernel_old_sigaction
{
  void *handler;
  unsigned long mask;
  unsigned long flags;
  void *restorer;
};

enum how { GLIBC_RT, GLIBC_OLD, RAW_RT, RAW_OLD };

static int
install (enum how how)
{
  struct sigaction sa;
  struct kernel_rt_sigaction krt;
  struct kernel_old_sigaction kold;

  switch (how)
    {
    case GLIBC_RT:
    case GLIBC_OLD:
      memset (&sa, 0, sizeof sa);
      if (how == GLIBC_RT)
	{
	  sa.sa_sigaction = handler_rt;
	  sa.sa_flags = SA_SIGINFO;
	}
      else
	sa.sa_handler = handler_old;
      return sigaction (SIGSYS, &sa, NULL);
    case RAW_RT:
      memset (&krt, 0, sizeof krt);
      krt.handler = handler_rt;
      krt.flags = SA_SIGINFO;
      return syscall (SYS_rt_sigaction, SIGSYS, &krt, NULL, sizeof krt.mask);
    case RAW_OLD:
      memset (&kold, 0, sizeof kold);
      kold.handler = handler_old;
      return syscall (SYS_sigaction, SIGSYS, &kold, NULL);
    }
  return -1;
}

static void
run_case (enum how how, const char *name)
{
  long ret;

  if (install (how) != 0)
    {
      printf ("%s: cannot install the handler: %m\n", name);
      _exit (1);
    }
  if (prctl (PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0,
	     &selector) != 0)
    {
      printf ("%s: PR_SET_SYSCALL_USER_DISPATCH: %m\n", name);
      _exit (1);
    }
  selector = SYSCALL_DISPATCH_FILTER_BLOCK;
  ret = syscall (SYS_getppid);
  selector = SYSCALL_DISPATCH_FILTER_ALLOW;

  if (how == GLIBC_RT || how == RAW_RT)
    printf ("%s: SIGSYS %d (code %d, system call %d), handler returned,"
	    " getppid () gave %ld\n", name, sigsys_count, sigsys_code,
	    sigsys_nr, ret);
  else
    printf ("%s: SIGSYS %d, handler returned, getppid () gave %ld\n",
	    name, sigsys_count, ret);
  _exit (0);
}

/* AT_SYSINFO of a KML task is its [kml] page's entry, after "KML1".  */
static int
kml_task (void)
{
  unsigned long sysinfo = getauxval (AT_SYSINFO);

  return sysinfo != 0 && memcmp ((const char *) sysinfo - 4, "KML1", 4) == 0;
}

int
main (void)
{
  static const struct
  {
    enum how how;
    const char *name;
  } cases[] = {
    { GLIBC_RT, "glibc sigaction, rt frame" },
    { GLIBC_OLD, "glibc sigaction, old-style frame" },
    { RAW_RT, "rt_sigaction without SA_RESTORER, rt frame" },
    { RAW_OLD, "sigaction without SA_RESTORER, old-style frame" },
  };
  int vdso = getauxval (AT_SYSINFO_EHDR) != 0;
  int failed = 0;

  setvbuf (stdout, NULL, _IONBF, 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      pid_t pid;
      int status;

      if ((cases[i].how == RAW_RT || cases[i].how == RAW_OLD) && !vdso
	  && !kml_task ())
	{
	  printf ("%s: skipped: no vDSO, no kernel restorer\n",
		  cases[i].name);
	  continue;
	}
      pid = fork ();
      if (pid < 0)
	{
	  perror ("fork");
	  return 100;
	}
      if (pid == 0)
	run_case (cases[i].how, cases[i].name);
      if (waitpid (pid, &status, 0) != pid)
	{
	  perror ("waitpid");
	  return 100;
	}
      if (WIFSIGNALED (status))
	printf ("%s: killed by signal %d\n", cases[i].name,
		WTERMSIG (status));
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
	failed++;
    }
  return failed;
}

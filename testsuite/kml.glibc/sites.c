/* Exercise every hand-written system-call site of glibc on x86-64 and
   i386 (see GLIBC-MAP.md 1.2 and 2) and print one line per check, the
   same with any correct glibc: threads (clone3/clone, TLS_INIT_TP copy),
   signals and the restorer (__restore_rt; on i386 only without a vDSO),
   longjmp_chk from an alternate signal stack (____longjmp_chk's
   sigaltstack call), vfork, raw clone with a return value (clone.S's exit
   path), ucontext (getcontext, makecontext, swapcontext, setcontext),
   syscall(), fork and posix_spawn.

   With --no-children, only what needs no second process or thread (a
   signal, ucontext, syscall()): for fake-kml.c, whose fake entry uses the
   stack.

   Built with -D_FORTIFY_SOURCE=2 -O2 so that siglongjmp is
   __longjmp_chk.  */

#define _GNU_SOURCE
#include <pthread.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define NTHREADS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int arrived;
static volatile sig_atomic_t signals;

#ifdef __i386__
/* tcbhead_t.sysinfo (%gs:0x10): the KML entry of this thread if "KML1" is
   in front of it, else 0 (it is __kernel_vsyscall, or glibc's
   _dl_sysinfo_int80 without a vDSO).  */
static unsigned long
tcb_entry (void)
{
  unsigned long v;
  asm volatile ("mov %%gs:0x10, %0" : "=r" (v));
  return v != 0 && ((const unsigned int *) v)[-1] == 0x314c4d4b ? v : 0;
}
#else
/* tcbhead_t.sysinfo (%fs:0x20): 0, as in Debian's glibc.  The KML entry
   is not kept in the TCB on x86-64 but in a hidden read-only variable of
   each of ld.so, libc.so and libc.a (issue 15): a nonzero word here
   would mean that glibc wrote it after all.  */
static unsigned long
tcb_entry (void)
{
  unsigned long v;
  asm volatile ("mov %%fs:0x20, %0" : "=r" (v));
  return v;
}
#endif

static void
on_usr1 (int sig)
{
  (void) sig;
  signals++;
}

static void *
worker (void *arg)
{
  long n = (long) arg, sum = 0;

  for (long i = 1; i <= 1000 * (n + 1); i++)
    sum += i;
  pthread_mutex_lock (&lock);
  arrived++;
  pthread_cond_broadcast (&cond);
  while (arrived < NTHREADS)
    pthread_cond_wait (&cond, &lock);
  pthread_mutex_unlock (&lock);
  pthread_kill (pthread_self (), SIGUSR1);
  return (void *) (sum + (tcb_entry () == tcb_entry () ? 0 : 1));
}

/* A thread whose signal handler runs on an alternate stack above the
   thread's own stack (in main's frame) and siglongjmps back: that is
   where ____longjmp_chk asks the kernel for the alternate stack.  */
static sigjmp_buf jump_env;
static char *altstack;

static void
on_usr2 (int sig)
{
  (void) sig;
  siglongjmp (jump_env, 7);
}

static void *
jumper (void *arg)
{
  stack_t ss = { .ss_sp = altstack, .ss_size = 64 * 1024 };
  struct sigaction sa = { .sa_handler = on_usr2, .sa_flags = SA_ONSTACK };
  int r;

  (void) arg;
  if (sigaltstack (&ss, NULL) != 0)
    return (void *) 1L;
  sigaction (SIGUSR2, &sa, NULL);
  r = sigsetjmp (jump_env, 1);
  if (r == 0)
    {
      pthread_kill (pthread_self (), SIGUSR2);
      return (void *) 2L;
    }
  return (void *) (long) r;
}

static int
clone_child (void *arg)
{
  return *(int *) arg;
}

static ucontext_t main_uc, co_uc;
static int co_steps;

static void
coroutine (void)
{
  co_steps++;
  swapcontext (&co_uc, &main_uc);
  co_steps++;
}

int
main (int argc, char **argv)
{
  pthread_t t[NTHREADS];
  struct sigaction sa = { .sa_handler = on_usr1 };
  long total = 0;
  void *ret;
  int status;
  pid_t pid;

  setvbuf (stdout, NULL, _IONBF, 0);
  printf ("AT_SYSINFO: %s\n", getauxval (AT_SYSINFO) ? "set" : "absent");
  printf ("main entry: %s\n", tcb_entry () ? "set" : "0");

  sigaction (SIGUSR1, &sa, NULL);
  if (argc > 1 && strcmp (argv[1], "--no-children") == 0)
    {
      raise (SIGUSR1);
      printf ("signals %d\n", (int) signals);
      goto no_children;
    }
  for (long i = 0; i < NTHREADS; i++)
    pthread_create (&t[i], NULL, worker, (void *) i);
  for (int i = 0; i < NTHREADS; i++)
    {
      pthread_join (t[i], &ret);
      total += (long) ret;
    }
  printf ("threads: sum %ld, signals %d\n", total, (int) signals);

  char frame[128 * 1024];	/* The alternate stack, above the thread's.  */
  altstack = frame;
  pthread_t j;
  pthread_create (&j, NULL, jumper, NULL);
  pthread_join (j, &ret);
  printf ("siglongjmp from the alternate stack: %ld\n", (long) ret);

  pid = vfork ();
  if (pid == 0)
    _exit (3);
  waitpid (pid, &status, 0);
  printf ("vfork: child exit %d\n", WEXITSTATUS (status));

  pid = fork ();
  if (pid == 0)
    _exit (tcb_entry () == 0 ? 4 : 5);
  waitpid (pid, &status, 0);
  printf ("fork: child exit %d\n", WEXITSTATUS (status));

  static char cstack[64 * 1024] __attribute__ ((aligned (16)));
  int value = 42;
  pid = clone (clone_child, cstack + sizeof cstack, CLONE_VM | SIGCHLD,
	       &value);
  waitpid (pid, &status, 0);
  printf ("clone: child exit %d\n", WEXITSTATUS (status));

  char *true_argv[] = { (char *) "true", NULL };
  if (posix_spawn (&pid, "/bin/true", NULL, NULL, true_argv, NULL) == 0)
    {
      waitpid (pid, &status, 0);
      printf ("posix_spawn: exit %d\n", WEXITSTATUS (status));
    }

no_children:;
  static char costack[64 * 1024];
  getcontext (&co_uc);
  co_uc.uc_stack.ss_sp = costack;
  co_uc.uc_stack.ss_size = sizeof costack;
  co_uc.uc_link = &main_uc;
  makecontext (&co_uc, coroutine, 0);
  swapcontext (&main_uc, &co_uc);
  swapcontext (&main_uc, &co_uc);
  printf ("ucontext: %d steps\n", co_steps);

  printf ("syscall(): getppid %s\n",
	  syscall (SYS_getppid) == getppid () ? "same" : "different");
  errno = 0;
  long bad = syscall (-1L);
  printf ("syscall(): bad number %ld, %s\n", bad, strerror (errno));
  return 0;
}

/* kml-test: process semantics that must hold in kernel mode as in user mode.

   Usage: kml-test CHECK [ARG...]
   Each check prints one line, "CHECK ok" or a line saying what it saw, and
   exits 0 only when the behaviour was right.  The testsuite runs the same
   binary from /trusted (kernel mode under KML) and from /usr/bin.  No check
   depends on time: those that wait for another task spin until it has made
   progress, and the testsuite's timeout catches a hang.  */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wait-sleeping.h"

static sigjmp_buf recover;
static volatile sig_atomic_t caught_signal, caught_code;
static void *volatile caught_addr;

static int
fail (const char *check, const char *what)
{
  printf ("%s FAILED: %s\n", check, what);
  return 1;
}

static int
ok (const char *check)
{
  printf ("%s ok\n", check);
  return 0;
}

static void
recovering_handler (int sig, siginfo_t *info, void *ucontext)
{
  (void) ucontext;
  caught_signal = sig;
  caught_code = info->si_code;
  caught_addr = info->si_addr;
  siglongjmp (recover, 1);
}

static void
catch (int sig, void (*handler) (int, siginfo_t *, void *), int flags)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset (&sa.sa_mask);
  if (sigaction (sig, &sa, NULL) != 0)
    {
      perror ("sigaction");
      exit (2);
    }
}

/* Run FAULT; it must raise SIG with si_code CODE, caught and recovered.  */
static int
expect_signal (const char *check, int sig, int code, void (*fault) (void))
{
  catch (sig, recovering_handler, 0);
  caught_signal = 0;
  if (sigsetjmp (recover, 1) == 0)
    {
      fault ();
      return fail (check, "no signal");
    }
  if (caught_signal != sig || caught_code != code)
    {
      printf ("%s FAILED: signal %d code %d, expected %d code %d\n", check,
	      (int) caught_signal, (int) caught_code, sig, code);
      return 1;
    }
  return ok (check);
}

static void
null_write (void)
{
  *(volatile int *) 0 = 1;
}

static void
divide_by_zero (void)
{
  unsigned int quotient, remainder;

  asm volatile ("divl %2" : "=a" (quotient), "=d" (remainder)
		: "r" (0), "0" (1), "1" (0));
}

static void
undefined_instruction (void)
{
  asm volatile ("ud2");
}

static int
check_cpl (void)
{
  unsigned short cs;

  asm volatile ("mov %%cs, %0" : "=r" (cs));
  printf ("CPL %d\n", cs & 3);
  return 0;
}

static int
check_trap (void)
{
  catch (SIGTRAP, recovering_handler, 0);
  caught_signal = 0;
  if (sigsetjmp (recover, 1) == 0)
    {
      asm volatile ("int3");
      return fail ("trap", "no signal");
    }
  if (caught_signal != SIGTRAP)
    return fail ("trap", "not SIGTRAP");
  return ok ("trap");
}

static char *bus_page;

static void
touch_beyond_file (void)
{
  bus_page[0] = 1;
}

static int
check_bus (void)
{
  long page = sysconf (_SC_PAGESIZE);
  char path[] = "/tmp/kml-test-bus-XXXXXX";
  char *map;
  int fd = mkstemp (path);

  if (fd < 0 || unlink (path) != 0 || ftruncate (fd, page) != 0)
    return fail ("bus", "cannot make the file");
  map = mmap (NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED)
    return fail ("bus", "mmap");
  bus_page = map + page;
  return expect_signal ("bus", SIGBUS, BUS_ADRERR, touch_beyond_file);
}

static volatile sig_atomic_t alarm_seen;

static void
alarm_handler (int sig)
{
  (void) sig;
  alarm_seen = 1;
}

/* A timer signal must interrupt user code that makes no system call.  */
static int
check_alarm (void)
{
  struct itimerval timer = { .it_value = { .tv_usec = 10000 } };
  volatile unsigned long spins = 0;

  signal (SIGALRM, alarm_handler);
  if (setitimer (ITIMER_REAL, &timer, NULL) != 0)
    return fail ("alarm", "setitimer");
  while (!alarm_seen)
    spins++;
  return ok ("alarm");
}

static char altstack[1 << 16];
static volatile int on_altstack;

static void
altstack_handler (int sig)
{
  char here;

  (void) sig;
  on_altstack = &here >= altstack && &here < altstack + sizeof altstack;
}

static int
check_altstack (void)
{
  stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = altstack_handler;
  sa.sa_flags = SA_ONSTACK;
  if (sigaltstack (&ss, NULL) != 0 || sigaction (SIGUSR1, &sa, NULL) != 0)
    return fail ("altstack", "setup");
  raise (SIGUSR1);
  return on_altstack ? ok ("altstack") : fail ("altstack", "handler not on it");
}

/* The depth never wraps before the stack ends; the test only keeps the
   compiler from seeing an endless recursion.  */
static int
recurse (int depth)
{
  volatile char frame[256];

  if (depth < 0)
    return 0;
  frame[0] = (char) depth;
  return recurse (depth + 1) + frame[0];
}

/* Unbounded recursion kills the process with SIGSEGV, nothing else.  */
static int
check_recursion (void)
{
  int status;
  pid_t pid = fork ();

  if (pid == 0)
    _exit (recurse (0));
  if (pid < 0 || waitpid (pid, &status, 0) != pid)
    return fail ("recursion", "fork/wait");
  if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGSEGV)
    return fail ("recursion", "not killed by SIGSEGV");
  return ok ("recursion");
}

static int
check_fork (void)
{
  enum { CHILDREN = 20 };
  int i, status, seen = 0;
  pid_t pid;

  for (i = 0; i < CHILDREN; i++)
    {
      pid = fork ();
      if (pid < 0)
	return fail ("fork", "fork");
      if (pid == 0)
	_exit (i);
    }
  while ((pid = wait (&status)) > 0)
    if (WIFEXITED (status))
      seen |= 1 << WEXITSTATUS (status);
  return seen == (1 << CHILDREN) - 1 ? ok ("fork") : fail ("fork", "statuses");
}

static int
check_vfork (void)
{
  int status;
  pid_t pid = vfork ();

  if (pid == 0)
    {
      execl ("/usr/bin/true", "true", (char *) NULL);
      _exit (127);
    }
  if (pid < 0 || waitpid (pid, &status, 0) != pid)
    return fail ("vfork", "vfork/wait");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return fail ("vfork", "child status");
  return ok ("vfork");
}

enum { THREADS = 4, ROUNDS = 200000 };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long locked_total;
static atomic_long atomic_total;

static void *
contend (void *arg)
{
  int i;

  (void) arg;
  for (i = 0; i < ROUNDS; i++)
    {
      pthread_mutex_lock (&lock);
      locked_total++;
      pthread_mutex_unlock (&lock);
      atomic_fetch_add (&atomic_total, 1);
    }
  return NULL;
}

/* Threads contending on a mutex (futex) and on an atomic counter.  */
static int
check_threads (void)
{
  pthread_t threads[THREADS];
  int i;

  for (i = 0; i < THREADS; i++)
    if (pthread_create (&threads[i], NULL, contend, NULL) != 0)
      return fail ("threads", "pthread_create");
  for (i = 0; i < THREADS; i++)
    pthread_join (threads[i], NULL);
  if (locked_total != (long) THREADS * ROUNDS
      || atomic_load (&atomic_total) != (long) THREADS * ROUNDS)
    return fail ("threads", "lost updates");
  return ok ("threads");
}

/* Two CPU-bound tasks without system calls: on one CPU each can only see
   the other advance if the timer preempts it.  */
static int
check_preempt (void)
{
  enum { GOAL = 1000000 };
  volatile long *counters = mmap (NULL, 2 * sizeof (long),
				  PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  int status, me;
  pid_t pid;

  if (counters == MAP_FAILED)
    return fail ("preempt", "mmap");
  pid = fork ();
  if (pid < 0)
    return fail ("preempt", "fork");
  me = pid == 0;
  while (counters[me] < GOAL || counters[!me] < GOAL)
    if (counters[me] < GOAL)
      counters[me]++;
  if (pid == 0)
    _exit (0);
  if (waitpid (pid, &status, 0) != pid || status != 0)
    return fail ("preempt", "child");
  return ok ("preempt");
}

static int
check_memory (void)
{
  long page = sysconf (_SC_PAGESIZE);
  char *map = mmap (NULL, 16 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (map == MAP_FAILED)
    return fail ("memory", "mmap");
  memset (map, 0x5a, 16 * page);
  if (mprotect (map, 16 * page, PROT_READ) != 0)
    return fail ("memory", "mprotect");
  catch (SIGSEGV, recovering_handler, 0);
  caught_signal = 0;
  if (sigsetjmp (recover, 1) == 0)
    {
      map[3 * page] = 1;
      return fail ("memory", "write to read-only page");
    }
  if (caught_code != SEGV_ACCERR || caught_addr != map + 3 * page)
    return fail ("memory", "wrong read-only fault");
  if (munmap (map, 16 * page) != 0)
    return fail ("memory", "munmap");
  caught_signal = 0;
  if (sigsetjmp (recover, 1) == 0)
    {
      *(volatile char *) map;
      return fail ("memory", "read of unmapped page");
    }
  if (caught_code != SEGV_MAPERR)
    return fail ("memory", "wrong unmapped fault");
  return ok ("memory");
}

static int
check_cow (void)
{
  static volatile int shared_value = 1;
  int status;
  pid_t pid = fork ();

  if (pid == 0)
    {
      shared_value = 2;
      _exit (shared_value == 2 ? 0 : 1);
    }
  if (pid < 0 || waitpid (pid, &status, 0) != pid || status != 0)
    return fail ("cow", "child");
  return shared_value == 1 ? ok ("cow") : fail ("cow", "parent saw the write");
}

static int
check_touch (long mib)
{
  long page = sysconf (_SC_PAGESIZE), size = mib << 20, i, sum = 0;
  char *map = mmap (NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (map == MAP_FAILED)
    return fail ("touch", "mmap");
  for (i = 0; i < size; i += page)
    map[i] = (char) (i / page);
  for (i = 0; i < size; i += page)
    sum += map[i] == (char) (i / page);
  return sum == size / page ? ok ("touch") : fail ("touch", "contents");
}

static int
check_secure (void)
{
  printf ("AT_SECURE %lu\n", getauxval (AT_SECURE));
  return 0;
}

static int
check_dumpable (void)
{
  printf ("dumpable %d\n", prctl (PR_GET_DUMPABLE, 0, 0, 0, 0));
  return 0;
}

/* Which entry AT_SYSINFO gives: "kml" (an IA-32 KML task: the entry is
   marked "KML1", doc/ABI.md), "other" (the vDSO's __kernel_vsyscall, or the
   x86-64 KML entry) or "none".  */
static int
check_sysinfo (void)
{
  unsigned long entry = getauxval (AT_SYSINFO);

  printf ("AT_SYSINFO %s\n", entry == 0 ? "none"
	  : memcmp ((void *) (entry - 4), "KML1", 4) == 0 ? "kml" : "other");
  return 0;
}

/* How many mappings of this process are named [kml]: the page of an IA-32
   KML task's entry.  */
static int
check_maps (void)
{
  char line[512];
  int pages = 0;
  FILE *maps = fopen ("/proc/self/maps", "re");

  if (maps == NULL)
    return fail ("maps", "/proc/self/maps");
  while (fgets (line, sizeof line, maps) != NULL)
    pages += strstr (line, "[kml]") != NULL;
  fclose (maps);
  printf ("[kml] %d\n", pages);
  return 0;
}

static volatile int *restart_handled;

static void
note_restart_signal (int sig)
{
  (void) sig;
  *restart_handled = 1;
}

/* A read blocked on a pipe gets a signal: restarted with SA_RESTART, EINTR
   without.  A child waits until this process sleeps in the read, sends
   SIGUSR1, waits for the handler to have run, then writes a byte.  */
static int
check_restart (const char *check, int flags)
{
  struct sigaction sa;
  char byte = 0;
  int fds[2];
  pid_t parent = getpid (), pid;
  ssize_t ret;

  restart_handled = mmap (NULL, sizeof (int), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = note_restart_signal;
  sa.sa_flags = flags;
  if (restart_handled == MAP_FAILED || pipe (fds) != 0
      || sigaction (SIGUSR1, &sa, NULL) != 0)
    return fail (check, "setup");
  pid = fork ();
  if (pid == 0)
    {
      wait_until_sleeping (parent);
      kill (parent, SIGUSR1);
      while (!*restart_handled)
	sched_yield ();
      _exit (write (fds[1], "x", 1) == 1 ? 0 : 1);
    }
  ret = read (fds[0], &byte, 1);
  if (flags & SA_RESTART)
    {
      if (ret != 1 || byte != 'x' || !*restart_handled)
	return fail (check, "not restarted");
    }
  else
    {
      if (ret != -1 || errno != EINTR || !*restart_handled)
	return fail (check, "not EINTR");
      if (read (fds[0], &byte, 1) != 1 || byte != 'x')
	return fail (check, "byte after EINTR");
    }
  if (waitpid (pid, NULL, 0) != pid)
    return fail (check, "waitpid");
  return ok (check);
}

static volatile int cancel_cleanup_ran;
static volatile pid_t reader_tid;

static void
note_cancel_cleanup (void *arg)
{
  (void) arg;
  cancel_cleanup_ran = 1;
}

static void *
blocked_reader (void *arg)
{
  int fd = *(int *) arg;
  char byte;

  pthread_cleanup_push (note_cancel_cleanup, NULL);
  reader_tid = gettid ();
  read (fd, &byte, 1);
  pthread_cleanup_pop (0);
  return NULL;
}

/* Cancelling a thread blocked in read (a cancellation point): the thread
   ends, and its cleanup handler runs.  */
static int
check_cancel (void)
{
  int fds[2];
  pthread_t thread;
  void *result;

  if (pipe (fds) != 0
      || pthread_create (&thread, NULL, blocked_reader, fds) != 0)
    return fail ("cancel", "setup");
  while (reader_tid == 0)
    sched_yield ();
  wait_until_sleeping (reader_tid);
  if (pthread_cancel (thread) != 0 || pthread_join (thread, &result) != 0)
    return fail ("cancel", "cancel or join");
  if (result != PTHREAD_CANCELED)
    return fail ("cancel", "not cancelled");
  return cancel_cleanup_ran ? ok ("cancel") : fail ("cancel", "no cleanup");
}

/* ptrace attach to a child running PROG: prints "attach ok" or the errno.  */
static int
check_attach (char **prog)
{
  char exe[64], target[256];
  int status, err = 0;
  ssize_t len;
  pid_t pid = fork ();

  if (pid == 0)
    {
      execv (prog[0], prog);
      _exit (127);
    }
  if (pid < 0)
    return fail ("attach", "fork");
  /* Attach once the child runs PROG: exec has then decided on KML.  */
  snprintf (exe, sizeof exe, "/proc/%d/exe", (int) pid);
  do
    {
      len = readlink (exe, target, sizeof target - 1);
      /* The kernel hides the exe link of a KML task from other
	 processes: the child then runs PROG in kernel mode.  */
      if (len < 0 && (errno == EACCES || errno == EPERM))
	break;
      target[len > 0 ? len : 0] = '\0';
      sched_yield ();
    }
  while (strcmp (target, prog[0]) != 0);
  if (ptrace (PTRACE_ATTACH, pid, NULL, NULL) != 0)
    err = errno;
  else
    {
      waitpid (pid, &status, 0);
      ptrace (PTRACE_DETACH, pid, NULL, NULL);
    }
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  printf ("attach %s\n", err ? strerrorname_np (err) : "ok");
  return 0;
}

/* Run PROG traced from its exec on, as a debugger would start it.  */
static int
check_traceme (char **prog)
{
  int status;
  pid_t pid = fork ();

  if (pid == 0)
    {
      if (ptrace (PTRACE_TRACEME, 0, NULL, NULL) != 0)
	_exit (126);
      execv (prog[0], prog);
      _exit (127);
    }
  while (waitpid (pid, &status, 0) == pid && WIFSTOPPED (status))
    ptrace (PTRACE_CONT, pid, NULL,
	    WSTOPSIG (status) == SIGTRAP ? 0 : WSTOPSIG (status));
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}

static int
run_exec (char **prog)
{
  execv (prog[0], prog);
  return fail ("exec", "execv");
}

static int
run_nnp (char **prog)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return fail ("nnp", "prctl");
  execv (prog[0], prog);
  return fail ("nnp", "execv");
}

int
main (int argc, char **argv)
{
  const char *check = argc > 1 ? argv[1] : "";

  setvbuf (stdout, NULL, _IONBF, 0);
  if (strcmp (check, "cpl") == 0)
    return check_cpl ();
  if (strcmp (check, "secure") == 0)
    return check_secure ();
  if (strcmp (check, "dumpable") == 0)
    return check_dumpable ();
  if (strcmp (check, "segv") == 0)
    return expect_signal ("segv", SIGSEGV, SEGV_MAPERR, null_write);
  if (strcmp (check, "fpe") == 0)
    return expect_signal ("fpe", SIGFPE, FPE_INTDIV, divide_by_zero);
  if (strcmp (check, "ill") == 0)
    return expect_signal ("ill", SIGILL, ILL_ILLOPN, undefined_instruction);
  if (strcmp (check, "trap") == 0)
    return check_trap ();
  if (strcmp (check, "bus") == 0)
    return check_bus ();
  if (strcmp (check, "alarm") == 0)
    return check_alarm ();
  if (strcmp (check, "altstack") == 0)
    return check_altstack ();
  if (strcmp (check, "recursion") == 0)
    return check_recursion ();
  if (strcmp (check, "fork") == 0)
    return check_fork ();
  if (strcmp (check, "vfork") == 0)
    return check_vfork ();
  if (strcmp (check, "threads") == 0)
    return check_threads ();
  if (strcmp (check, "preempt") == 0)
    return check_preempt ();
  if (strcmp (check, "memory") == 0)
    return check_memory ();
  if (strcmp (check, "cow") == 0)
    return check_cow ();
  if (strcmp (check, "touch") == 0 && argc == 3)
    return check_touch (atol (argv[2]));
  if (strcmp (check, "sysinfo") == 0)
    return check_sysinfo ();
  if (strcmp (check, "maps") == 0)
    return check_maps ();
  if (strcmp (check, "restart") == 0)
    return check_restart ("restart", SA_RESTART);
  if (strcmp (check, "eintr") == 0)
    return check_restart ("eintr", 0);
  if (strcmp (check, "cancel") == 0)
    return check_cancel ();
  if (strcmp (check, "spin") == 0)
    for (;;)
      ;
  if (strcmp (check, "attach") == 0 && argc > 2)
    return check_attach (argv + 2);
  if (strcmp (check, "traceme") == 0 && argc > 2)
    return check_traceme (argv + 2);
  if (strcmp (check, "exec") == 0 && argc > 2)
    return run_exec (argv + 2);
  if (strcmp (check, "nnp") == 0 && argc > 2)
    return run_nnp (argv + 2);
  fprintf (stderr, "usage: kml-test cpl|secure|dumpable|segv|fpe|ill|trap|bus|alarm|"
	   "altstack|recursion|fork|vfork|threads|preempt|memory|cow|"
	   "touch MIB|sysinfo|maps|restart|eintr|cancel|spin|attach PROG...|traceme PROG...|exec PROG...|"
	   "nnp PROG...\n");
  return 2;
}

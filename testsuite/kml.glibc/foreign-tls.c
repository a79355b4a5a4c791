/* glibc's system calls under a thread pointer that glibc did not set up
   (x86-64).  Runtimes and sandboxes install their own %fs: with
   arch_prctl (ARCH_SET_FS), with wrfsbase, or in a raw clone
   (CLONE_SETTLS) child, and still call glibc's system call wrappers.
   Debian's glibc reads nothing from the TCB for them (except
   header.multiple_threads, for the cancellation points), so they work.
   Issue 15, item 2: the KML glibc must not read its entry from the TCB
   (%fs:0x20, tcbhead_t.sysinfo) either, or it calls whatever word the
   foreign block holds there.

   The foreign block below is a page of 0xa5 bytes, with only
   header.multiple_threads (%fs:0x18) at 0, so that write() takes the
   single-threaded path as with Debian's glibc; nothing else in it looks
   like a glibc TCB.  Each check runs in a child process and prints one
   line, or the parent says how the child died; the output is the same
   with any correct glibc, on any kernel (with the KML kernel, from
   /trusted too, and then without a trapped system call: the program has
   no system call instruction of its own).

   Built with -fno-stack-protector: the program's own functions must not
   read the stack guard at %fs:0x28 while %fs is foreign.  */

#define _GNU_SOURCE
#include <asm/prctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef HWCAP2_FSGSBASE
# define HWCAP2_FSGSBASE (1 << 1)
#endif

static unsigned char block[4096] __attribute__ ((aligned (4096)));
static int pipefd[2];
static pid_t parent;

static void
make_foreign_block (void)
{
  memset (block, 0xa5, sizeof block);
  /* header.multiple_threads: the only word Debian's glibc reads here.  */
  memset (block + 0x18, 0, 4);
}

/* The system calls made under the foreign %fs: an assembler wrapper of
   syscalls.list (getppid), a cancellation point written in C (write) and
   syscall().  0 if all worked.  */
static int __attribute__ ((noinline))
calls_under_foreign_fs (void)
{
  int bad = 0;

  if (getppid () != parent)
    bad |= 1;
  if (write (pipefd[1], "x", 1) != 1)
    bad |= 2;
  if (syscall (SYS_getppid) != parent)
    bad |= 4;
  return bad;
}

static void
drain (void)
{
  char c;

  if (read (pipefd[0], &c, 1) != 1 || c != 'x')
    abort ();
}

static void
check_arch_prctl (void)
{
  unsigned long old;
  int bad;

  if (syscall (SYS_arch_prctl, ARCH_GET_FS, &old) != 0)
    abort ();
  syscall (SYS_arch_prctl, ARCH_SET_FS, (unsigned long) block);
  bad = calls_under_foreign_fs ();
  /* Through glibc as well: it must find its entry without the TCB.  */
  syscall (SYS_arch_prctl, ARCH_SET_FS, old);
  if (bad == 0)
    drain ();
  printf ("arch_prctl (ARCH_SET_FS): %s\n", bad == 0 ? "ok" : "failed");
}

static void
check_wrfsbase (void)
{
  unsigned long old;
  int bad;

  /* The kernel enables the instructions (CR4.FSGSBASE) and says so.  */
  if ((getauxval (AT_HWCAP2) & HWCAP2_FSGSBASE) == 0)
    {
      printf ("wrfsbase: ok (not available)\n");
      return;
    }
  asm volatile ("rdfsbase %0" : "=r" (old));
  asm volatile ("wrfsbase %0" : : "r" (block) : "memory");
  bad = calls_under_foreign_fs ();
  asm volatile ("wrfsbase %0" : : "r" (old) : "memory");
  if (bad == 0)
    drain ();
  printf ("wrfsbase: %s\n", bad == 0 ? "ok" : "failed");
}

/* Runs with the foreign block as its thread pointer (CLONE_SETTLS), and
   exits through clone's own exit path.  */
static int
clone_child (void *arg)
{
  (void) arg;
  return calls_under_foreign_fs () == 0 ? 42 : 1;
}

static void
check_clone_settls (void)
{
  static char stack[64 * 1024] __attribute__ ((aligned (16)));
  int status;
  pid_t pid;

  /* The clone child's getppid() is this process.  */
  parent = getpid ();
  pid = clone (clone_child, stack + sizeof stack,
	       CLONE_VM | CLONE_SETTLS | SIGCHLD, NULL, NULL, block, NULL);
  if (pid < 0 || waitpid (pid, &status, 0) != pid)
    abort ();
  if (WIFEXITED (status) && WEXITSTATUS (status) == 42)
    drain ();
  if (WIFEXITED (status))
    printf ("clone (CLONE_SETTLS): child exit %d\n", WEXITSTATUS (status));
  else
    printf ("clone (CLONE_SETTLS): child killed by signal %d\n",
	    WTERMSIG (status));
}

/* Run CHECK in a child process, so that a crash of one check does not
   hide the others.  */
static void
run (const char *name, void (*check) (void))
{
  int status;
  pid_t pid;

  /* getppid() of the child that runs CHECK.  */
  parent = getpid ();
  pid = fork ();
  if (pid == 0)
    {
      check ();
      exit (0);
    }
  if (pid < 0 || waitpid (pid, &status, 0) != pid)
    abort ();
  if (WIFSIGNALED (status))
    printf ("%s: killed by signal %d\n", name, WTERMSIG (status));
  else if (WEXITSTATUS (status) != 0)
    printf ("%s: exit %d\n", name, WEXITSTATUS (status));
}

int
main (void)
{
  setvbuf (stdout, NULL, _IONBF, 0);
  if (pipe (pipefd) != 0)
    abort ();
  make_foreign_block ();
  run ("arch_prctl (ARCH_SET_FS)", check_arch_prctl);
  run ("wrfsbase", check_wrfsbase);
  run ("clone (CLONE_SETTLS)", check_clone_settls);
  return 0;
}

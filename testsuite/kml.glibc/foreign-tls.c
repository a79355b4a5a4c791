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
   with any correct glibc, on any kernel, and from /trusted under KML,
   where the program (which has no system call instruction of its own)
   must not trap either: on a KML kernel each child reads its own counts
   (SyscallsProcess in /proc/self/status) and says how many of its system
   calls trapped, if any did.

   Built with -fno-stack-protector: the program's own functions must not
   read the stack guard at %fs:0x28 while %fs is foreign.  */

#define _GNU_SOURCE
#include <asm/prctl.h>
#include <fcntl.h>
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

/* The number of system calls of this process that entered the kernel by
   a trap (syscall, sysenter, int $0x80) so far, or -1 on a kernel without
   KML's counts.  Only system call wrappers, string functions that use no
   TLS, and code of its own: it may run under the foreign %fs.  */
static long int
trapped (void)
{
  static const char key[] = "SyscallsProcess:";
  static char buf[4096];
  long int sum = 0, v;
  ssize_t n, len = 0;
  char *p, *end;
  int fd;

  fd = open ("/proc/self/status", O_RDONLY);
  if (fd < 0)
    return -1;
  while (len < (ssize_t) sizeof buf - 1
	 && (n = read (fd, buf + len, sizeof buf - 1 - len)) > 0)
    len += n;
  close (fd);
  buf[len] = '\0';
  p = strstr (buf, key);
  if (p == NULL)
    return -1;
  end = strchr (p, '\n');
  if (end != NULL)
    *end = '\0';
  /* "direct N syscall N sysenter N int80 N": all but the first count.  */
  p += sizeof key - 1;
  for (int i = 0; i < 4; i++)
    {
      while (*p == ' ' || *p == '\t')
	p++;
      while (*p != '\0' && *p != ' ' && *p != '\t')
	p++;
      while (*p == ' ' || *p == '\t')
	p++;
      /* Not strtol: it reads the locale through TLS.  */
      for (v = 0; *p >= '0' && *p <= '9'; p++)
	v = v * 10 + (*p - '0');
      if (i > 0)
	sum += v;
    }
  return sum;
}

/* " (N trapped)" if the process made trapping system calls.  */
static const char *
trap_note (long int n)
{
  static char note[64];

  if (n <= 0)
    return "";
  snprintf (note, sizeof note, " (%ld trapped)", n);
  return note;
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
  printf ("arch_prctl (ARCH_SET_FS): %s%s\n", bad == 0 ? "ok" : "failed",
	  trap_note (trapped ()));
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
  printf ("wrfsbase: %s%s\n", bad == 0 ? "ok" : "failed",
	  trap_note (trapped ()));
}

/* Runs with the foreign block as its thread pointer (CLONE_SETTLS), and
   exits through clone's own exit path: 42 if all went well, 43 if it
   worked but trapped (KML kernel), 1 if a call failed.  */
static int
clone_child (void *arg)
{
  (void) arg;
  if (calls_under_foreign_fs () != 0)
    return 1;
  return trapped () > 0 ? 43 : 42;
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

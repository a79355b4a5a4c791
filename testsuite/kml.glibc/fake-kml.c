/* Run an i386 program as if it were a Kernel Mode Linux task, on a stock
   x86-64 kernel, and count how its system calls enter the kernel.

   Usage: fake-kml PROGRAM [ARG...]

   PROGRAM runs under ptrace.  At its first stop (after execve) its
   AT_SYSINFO is pointed at a fake entry written into its own copy of the
   vDSO, in the padding after __kernel_vsyscall:

	"KML1"				what glibc tests for
	entry:	int $0x80; ret		the system call, as the entry would

   Then every system-call stop is classified by the address of the trap:
   the fake entry's int $0x80 ("via entry"), the vDSO's signal restorers
   next to it (kernel code: a KML kernel gives its tasks restorers of its
   own), or anywhere else ("direct", listed with its address).  The summary
   goes to stderr:

	fake-kml: N via entry, M direct, K vDSO sigreturn

   and the exit status is PROGRAM's.  Unlike the real entry, the fake one
   returns with `ret', i.e. it uses the stack: programs that vfork or
   create threads or clone children cannot run under it (the parent would
   return through a slot the child has overwritten).  It proves that the
   KML entry is found and used by ld.so, static start-up and libc, not
   that the no-stack sites are right: that needs the KML kernel.  */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define AT_SYSINFO_TAG 32
/* Where the fake entry goes, after __kernel_vsyscall (13 bytes, padded to
   32 on 6.x kernels, followed by __kernel_sigreturn).  */
#define FAKE_OFFSET 0x10
#define MAX_DIRECT 64

static const unsigned char sigreturn_insns[] =
  { 0x58, 0xb8, 0x77, 0, 0, 0, 0xcd, 0x80 };
static const unsigned char fake[] =
  { 'K', 'M', 'L', '1', 0xcd, 0x80, 0xc3 };

static void
die (const char *what)
{
  fprintf (stderr, "fake-kml: %s: %s\n", what, strerror (errno));
  exit (125);
}

static void
mem_rw (int fd, int write, uint32_t addr, void *buf, size_t len)
{
  ssize_t n = write ? pwrite (fd, buf, len, addr) : pread (fd, buf, len, addr);
  if (n != (ssize_t) len)
    die (write ? "writing the tracee's memory" : "reading the tracee's memory");
}

/* __kernel_vsyscall, where the fake entry and the vDSO's restorers are.  */
static uint32_t vsyscall;

/* Point AT_SYSINFO of the stopped tracee at a fake entry; return the
   address of the entry's int $0x80.  */
static uint32_t
install_fake_entry (pid_t pid)
{
  struct user_regs_struct regs;
  char path[64];
  uint32_t sp, word, slot = 0;
  unsigned char code[64];
  int fd;

  if (ptrace (PTRACE_GETREGS, pid, NULL, &regs) != 0)
    die ("PTRACE_GETREGS");
  snprintf (path, sizeof path, "/proc/%d/mem", (int) pid);
  fd = open (path, O_RDWR);
  if (fd < 0)
    die (path);

  /* The initial stack: argc, argv[], NULL, envp[], NULL, auxv pairs.  */
  sp = (uint32_t) regs.rsp;
  mem_rw (fd, 0, sp, &word, 4);
  sp += 4 * (word + 2);
  do
    {
      mem_rw (fd, 0, sp, &word, 4);
      sp += 4;
    }
  while (word != 0);
  for (;; sp += 8)
    {
      uint32_t av[2];
      mem_rw (fd, 0, sp, av, 8);
      if (av[0] == 0)
	break;
      if (av[0] == AT_SYSINFO_TAG)
	{
	  vsyscall = av[1];
	  slot = sp + 4;
	}
    }
  if (vsyscall == 0)
    {
      fprintf (stderr, "fake-kml: no AT_SYSINFO (not an i386 program?)\n");
      exit (125);
    }

  /* The padding after __kernel_vsyscall must hold the fake entry.  */
  mem_rw (fd, 0, vsyscall, code, sizeof code);
  void *sr = memmem (code, sizeof code, sigreturn_insns, sizeof sigreturn_insns);
  if (sr == NULL || (unsigned char *) sr - code < FAKE_OFFSET + (long) sizeof fake)
    {
      fprintf (stderr, "fake-kml: no room after __kernel_vsyscall in this vDSO\n");
      exit (125);
    }
  mem_rw (fd, 1, vsyscall + FAKE_OFFSET, (void *) fake, sizeof fake);
  word = vsyscall + FAKE_OFFSET + 4;
  mem_rw (fd, 1, slot, &word, 4);
  close (fd);
  return word + 2;
}

int
main (int argc, char **argv)
{
  unsigned long via = 0, direct = 0, vdso = 0;
  uint32_t where[MAX_DIRECT], trap;
  int status, in_syscall = 0, sig = 0;
  pid_t pid;

  if (argc < 2)
    {
      fprintf (stderr, "usage: fake-kml PROGRAM [ARG...]\n");
      return 125;
    }
  pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      ptrace (PTRACE_TRACEME, 0, NULL, NULL);
      execv (argv[1], argv + 1);
      die (argv[1]);
    }
  if (waitpid (pid, &status, 0) != pid || !WIFSTOPPED (status))
    die ("waiting for the exec stop");
  ptrace (PTRACE_SETOPTIONS, pid, NULL,
	  PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
  trap = install_fake_entry (pid);

  for (;;)
    {
      if (ptrace (PTRACE_SYSCALL, pid, NULL, (void *) (long) sig) != 0)
	die ("PTRACE_SYSCALL");
      sig = 0;
      if (waitpid (pid, &status, 0) != pid)
	die ("waitpid");
      if (WIFEXITED (status) || WIFSIGNALED (status))
	break;
      if (WSTOPSIG (status) == (SIGTRAP | 0x80))
	{
	  in_syscall = !in_syscall;
	  if (in_syscall)
	    {
	      struct user_regs_struct regs;
	      if (ptrace (PTRACE_GETREGS, pid, NULL, &regs) != 0)
		die ("PTRACE_GETREGS");
	      if ((uint32_t) regs.rip == trap)
		via++;
	      else if ((uint32_t) regs.rip - vsyscall < 64)
		vdso++;
	      else if (direct++ < MAX_DIRECT)
		where[direct - 1] = (uint32_t) regs.rip;
	    }
	}
      else
	sig = WSTOPSIG (status);
    }

  for (unsigned long i = 0; i < direct && i < MAX_DIRECT; i++)
    fprintf (stderr, "fake-kml: direct system call, trap at %#x\n", where[i]);
  fprintf (stderr, "fake-kml: %lu via entry, %lu direct, %lu vDSO sigreturn\n",
	   via, direct, vdso);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

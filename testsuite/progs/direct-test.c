/* direct-test: every kind of system call through the KML direct entry.

   Usage: direct-test CHECK
   Makes the system calls of CHECK with vdso/kml.h: through the direct
   entry from /trusted (AT_SYSINFO), through the syscall fallback anywhere
   else.  Prints "CHECK ok" when the results are what the kernel's system
   call semantics say, so both ways must print the same.  Its C code
   calls libkml's kml_syscall6; the assembly functions below make the
   call themselves where a C function cannot (a new stack, a restorer).  */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../vdso/kml.h"
#include "wait-sleeping.h"

/* The kernel's, not in glibc's headers.  */
#define SA_RESTORER 0x04000000

static unsigned long entry;

static int
fail (const char *check, const char *what, long value)
{
  printf ("%s FAILED: %s (%ld)\n", check, what, value);
  return 1;
}

static int
ok (const char *check)
{
  printf ("%s ok\n", check);
  return 0;
}

static int
check_getppid (void)
{
  long ppid = kml_syscall0 (entry, SYS_getppid);

  return ppid == getppid () ? ok ("getppid") : fail ("getppid", "ppid", ppid);
}

static int
check_pipe (void)
{
  int fds[2];
  char buf[8];
  long ret = kml_syscall2 (entry, SYS_pipe2, fds, 0);

  if (ret != 0)
    return fail ("pipe", "pipe2", ret);
  if ((ret = kml_syscall3 (entry, SYS_write, fds[1], "hello", 5)) != 5)
    return fail ("pipe", "write", ret);
  if ((ret = kml_syscall3 (entry, SYS_read, fds[0], buf, sizeof buf)) != 5)
    return fail ("pipe", "read", ret);
  return memcmp (buf, "hello", 5) == 0 ? ok ("pipe") : fail ("pipe", "data", 0);
}

static int
check_open (void)
{
  char buf[16];
  long fd = kml_syscall4 (entry, SYS_openat, AT_FDCWD,
			  "/usr/share/kml-test/words.txt", O_RDONLY, 0);
  long ret;

  if (fd < 0)
    return fail ("open", "openat", fd);
  if ((ret = kml_syscall3 (entry, SYS_read, fd, buf, 7)) != 7)
    return fail ("open", "read", ret);
  if ((ret = kml_syscall1 (entry, SYS_close, fd)) != 0)
    return fail ("open", "close", ret);
  if ((ret = kml_syscall1 (entry, SYS_close, fd)) != -EBADF)
    return fail ("open", "second close", ret);
  return memcmp (buf, "kernel\n", 7) == 0 ? ok ("open") : fail ("open", "data", 0);
}

static int
check_mmap (void)
{
  long page = sysconf (_SC_PAGESIZE);
  char *map = (char *) kml_syscall6 (entry, SYS_mmap, 0, 4 * page,
				     PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long ret;

  if ((long) map < 0)
    return fail ("mmap", "mmap", (long) map);
  memset (map, 0x5a, 4 * page);
  if ((ret = kml_syscall2 (entry, SYS_munmap, map, 4 * page)) != 0)
    return fail ("mmap", "munmap", ret);
  return ok ("mmap");
}

/* Wait for PID through the entry; its exit status, or -1.  */
static int
wait_child (pid_t pid)
{
  int status;
  long ret = kml_syscall4 (entry, SYS_wait4, pid, &status, 0, 0);

  if (ret != pid)
    return -1;
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static int
check_fork (void)
{
  long pid = kml_syscall0 (entry, SYS_fork);

  if (pid == 0)
    kml_syscall1 (entry, SYS_exit_group, 7);
  if (pid < 0)
    return fail ("fork", "fork", pid);
  return wait_child (pid) == 7 ? ok ("fork") : fail ("fork", "status", 0);
}

static char *const true_argv[] = { "true", NULL };

/* vfork, in assembly as glibc's vfork.S: the child returns from here
   and calls other functions on the shared stack, which overwrite this
   function's return address slot before the parent returns through it.
   So the return address goes to a register first (RDI survives the
   call), and the return is a jump.  kml_syscall6 cannot do this.  */
__attribute__ ((returns_twice)) long vfork_direct (unsigned long entry);
__asm__ (".text\n"
	 "vfork_direct:\n\t"
	 "mov %rdi, %r11\n\t"
	 "pop %rdi\n\t"
	 "mov $" "58" ", %eax\n\t"	/* SYS_vfork */
	 "test %r11, %r11\n\t"
	 "jz 1f\n\t"
	 "call *%r11\n\t"
	 "jmp *%rdi\n"
	 "1:\tsyscall\n\t"
	 "jmp *%rdi\n");

/* The SYSCALL instruction itself, as a Go runtime or a JIT makes it:
   raw_getppid (FLAGS, OUT) loads RFLAGS = FLAGS and a pattern into every
   other register, makes getppid with SYSCALL and stores what comes back:
   OUT[0..14] the registers in the order of raw_names, OUT[RAW_FLAGS]
   RFLAGS after the call, OUT[RAW_NEXT] the address after the SYSCALL.
   It returns with RFLAGS clean again (AC would make the caller's
   unaligned accesses fault).  */
enum { RAW_RCX = 2, RAW_R11 = 10, RAW_REGS = 15, RAW_FLAGS = 15,
       RAW_NEXT = 16, RAW_OUT = 17 };
static const char *const raw_names[RAW_REGS] = {
  "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11",
  "r12", "r13", "r14", "r15"
};
void raw_getppid (unsigned long flags, unsigned long *out);
__asm__ (".text\n"
	 "raw_getppid:\n\t"
	 "push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\t"
	 "push %r14\n\tpush %r15\n\t"
	 "push %rsi\n\t"			/* OUT, at 0(%rsp) */
	 "push %rdi\n\t"			/* FLAGS, for the POPF */
	 "mov $0x1111, %ebx\n\tmov $0x3333, %edx\n\tmov $0x4444, %esi\n\t"
	 "mov $0x5555, %edi\n\tmov $0x6666, %ebp\n\tmov $0x8888, %r8d\n\t"
	 "mov $0x9999, %r9d\n\tmov $0xaaaa, %r10d\n\tmov $0xcccc, %r12d\n\t"
	 "mov $0xdddd, %r13d\n\tmov $0xeeee, %r14d\n\tmov $0xffff, %r15d\n\t"
	 "mov $-1, %rcx\n\tmov $-1, %r11\n\t"
	 "mov $" "110" ", %eax\n\t"		/* SYS_getppid */
	 "popfq\n\t"
	 "syscall\n"
	 "raw_getppid_next:\n\t"
	 "pushfq\n\t"
	 "xchg %rax, 8(%rsp)\n\t"		/* RAX out, OUT in */
	 "mov %rbx, 8(%rax)\n\tmov %rcx, 16(%rax)\n\tmov %rdx, 24(%rax)\n\t"
	 "mov %rsi, 32(%rax)\n\tmov %rdi, 40(%rax)\n\tmov %rbp, 48(%rax)\n\t"
	 "mov %r8, 56(%rax)\n\tmov %r9, 64(%rax)\n\tmov %r10, 72(%rax)\n\t"
	 "mov %r11, 80(%rax)\n\tmov %r12, 88(%rax)\n\tmov %r13, 96(%rax)\n\t"
	 "mov %r14, 104(%rax)\n\tmov %r15, 112(%rax)\n\t"
	 "pop %rcx\n\t"				/* RFLAGS after */
	 "mov %rcx, 120(%rax)\n\t"
	 "pop %rcx\n\t"				/* RAX */
	 "mov %rcx, (%rax)\n\t"
	 "lea raw_getppid_next(%rip), %rcx\n\t"
	 "mov %rcx, 128(%rax)\n\t"
	 "push $0x202\n\t"
	 "popfq\n\t"
	 "pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\t"
	 "pop %rbp\n\tpop %rbx\n\t"
	 "ret\n");

/* At CPL3, SYSRET gives RCX the address after the SYSCALL, R11 the
   RFLAGS that SYSCALL saw (RF clear), and everything else back; a KML
   task's SYSCALL must leave the same, whichever exit the kernel takes:
   with nothing but arithmetic flags set, or with DF or AC as well.  */
static int
check_raw_syscall (void)
{
  static const unsigned long pattern[RAW_REGS] = {
    0, 0x1111, 0, 0x3333, 0x4444, 0x5555, 0x6666, 0x8888, 0x9999, 0xaaaa, 0,
    0xcccc, 0xdddd, 0xeeee, 0xffff
  };
  /* CF PF AF ZF SF OF; then with DF; then with AC.  */
  static const unsigned long flag_sets[] = { 0x8d5, 0xcd5, 0x408d5 };
  unsigned long out[RAW_OUT];
  size_t i, r;

  for (i = 0; i < sizeof flag_sets / sizeof flag_sets[0]; i++)
    {
      unsigned long flags = flag_sets[i] | 0x202;	/* IF, bit 1 */

      raw_getppid (flags, out);
      if ((long) out[0] != getppid ())
	return fail ("raw-syscall", "getppid", out[0]);
      if (out[RAW_RCX] != out[RAW_NEXT])
	return fail ("raw-syscall", "rcx is not the return address",
		     out[RAW_RCX]);
      if (out[RAW_R11] != flags)
	return fail ("raw-syscall", "r11 is not the rflags before",
		     out[RAW_R11]);
      if (out[RAW_FLAGS] != flags)
	return fail ("raw-syscall", "rflags after", out[RAW_FLAGS]);
      for (r = 1; r < RAW_REGS; r++)
	if (r != RAW_RCX && r != RAW_R11 && out[r] != pattern[r])
	  {
	    printf ("raw-syscall: %s is %#lx\n", raw_names[r], out[r]);
	    return fail ("raw-syscall", "a register changed", flags);
	  }
    }
  return ok ("raw-syscall");
}

static int
check_vfork (void)
{
  long pid = vfork_direct (entry);

  /* The child shares this stack: it only execs or exits.  */
  if (pid == 0)
    {
      kml_syscall3 (entry, SYS_execve, "/usr/bin/true", true_argv, environ);
      kml_syscall1 (entry, SYS_exit_group, 127);
    }
  if (pid < 0)
    return fail ("vfork", "vfork", pid);
  return wait_child (pid) == 0 ? ok ("vfork") : fail ("vfork", "status", 0);
}

static int
check_execve (void)
{
  long pid = fork ();

  if (pid == 0)
    {
      char *const argv[] = { "false", NULL };

      kml_syscall3 (entry, SYS_execve, "/usr/bin/false", argv, environ);
      _exit (127);
    }
  return wait_child (pid) == 1 ? ok ("execve") : fail ("execve", "status", 0);
}

static int
check_exit_group (void)
{
  long pid = fork ();

  if (pid == 0)
    {
      kml_syscall1 (entry, SYS_exit_group, 42);
      _exit (1);
    }
  return wait_child (pid) == 42 ? ok ("exit_group")
				: fail ("exit_group", "status", 0);
}

/* clone with a new stack, as a thread library does.  The child returns
   from the call on the new stack, so this is assembly: it runs FN there,
   which must not return.  */
long clone_on_stack (unsigned long entry, unsigned long flags, void *stack,
		     void (*fn) (void));
long clone3_on_stack (unsigned long entry, struct clone_args *args,
		      void (*fn) (void));
__asm__ (".text\n"
	 "clone_on_stack:\n\t"
	 "push %r12\n\t"
	 "mov %rcx, %r12\n\t"
	 "mov %rdi, %r11\n\t"
	 "mov %rsi, %rdi\n\t"
	 "mov %rdx, %rsi\n\t"
	 "xor %edx, %edx\n\t"
	 "xor %r10d, %r10d\n\t"
	 "xor %r8d, %r8d\n\t"
	 "mov $" "56" ", %eax\n\t"	/* SYS_clone */
	 "jmp 1f\n"
	 "clone3_on_stack:\n\t"
	 "push %r12\n\t"
	 "mov %rdx, %r12\n\t"
	 "mov %rdi, %r11\n\t"
	 "mov %rsi, %rdi\n\t"
	 "mov $" "88" ", %esi\n\t"	/* sizeof (struct clone_args) */
	 "mov $" "435" ", %eax\n"	/* SYS_clone3 */
	 "1:\ttest %r11, %r11\n\t"
	 "jz 2f\n\t"
	 "call *%r11\n\t"
	 "jmp 3f\n"
	 "2:\tsyscall\n"
	 "3:\ttest %rax, %rax\n\t"
	 "jnz 4f\n\t"
	 "call *%r12\n\t"
	 "ud2\n"
	 "4:\tpop %r12\n\t"
	 "ret\n");

static volatile int child_ran;
static char child_stack[1 << 16] __attribute__ ((aligned (16)));

static void
thread_body (void)
{
  child_ran = 1;
  kml_syscall1 (entry, SYS_exit, 0);
}

static int
wait_thread (const char *check, long tid)
{
  if (tid < 0)
    return fail (check, "clone", tid);
  /* CLONE_CHILD_CLEARTID is not used: the thread's SIGCHLD exit is.  */
  if (wait_child (tid) != 0 || !child_ran)
    return fail (check, "thread did not run", 0);
  return ok (check);
}

static int
check_clone (void)
{
  long tid = clone_on_stack (entry, CLONE_VM | CLONE_FS | CLONE_FILES | SIGCHLD,
			     child_stack + sizeof child_stack, thread_body);

  return wait_thread ("clone", tid);
}

static int
check_clone3 (void)
{
  struct clone_args args = {
    .flags = CLONE_VM | CLONE_FS | CLONE_FILES,
    .exit_signal = SIGCHLD,
    .stack = (unsigned long) child_stack,
    .stack_size = sizeof child_stack,
  };

  return wait_thread ("clone3", clone3_on_stack (entry, &args, thread_body));
}

/* The restorer returns from a handler through the entry.  Its RSP must be
   the frame's, as after the handler's RET: no adjustment around the call.  */
void kml_restore_rt (void);
__asm__ (".text\n"
	 "kml_restore_rt:\n\t"
	 "mov $" "15" ", %eax\n\t"	/* SYS_rt_sigreturn */
	 "mov entry(%rip), %r11\n\t"
	 "test %r11, %r11\n\t"
	 "jz 1f\n\t"
	 "call *%r11\n"
	 "1:\tsyscall\n\t"
	 "ud2\n");

struct kernel_sigaction
{
  void (*handler) (int);
  unsigned long flags;
  void (*restorer) (void);
  unsigned long mask;
};

static volatile int handled;
static volatile int *handled_shared;

static void
count_signal (int sig)
{
  (void) sig;
  handled++;
  if (handled_shared != NULL)
    *handled_shared = 1;
}

static long
install (int sig, unsigned long flags)
{
  struct kernel_sigaction sa = {
    .handler = count_signal,
    .flags = flags | SA_RESTORER,
    .restorer = kml_restore_rt,
  };

  return kml_syscall4 (entry, SYS_rt_sigaction, sig, &sa, 0, 8);
}

static int
check_signal (void)
{
  long ret = install (SIGUSR1, 0);
  volatile long before = 0x1234567887654321;

  if (ret != 0)
    return fail ("signal", "rt_sigaction", ret);
  if ((ret = kml_syscall2 (entry, SYS_kill, getpid (), SIGUSR1)) != 0)
    return fail ("signal", "kill", ret);
  if (handled != 1 || before != 0x1234567887654321)
    return fail ("signal", "handler or state", handled);
  return ok ("signal");
}

/* A read blocked on a pipe gets a signal: restarted with SA_RESTART, EINTR
   without.  A child waits until this process sleeps in the read, sends
   SIGUSR1, waits for the handler to have run, then writes a byte.  */
static int
check_restart (const char *check, unsigned long flags)
{
  volatile int *shared = mmap (NULL, sizeof (int), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  char byte = 0;
  int fds[2];
  pid_t parent = getpid (), pid;
  long ret;

  if (shared == MAP_FAILED || pipe (fds) != 0 || install (SIGUSR1, flags) != 0)
    return fail (check, "setup", 0);
  handled = 0;
  handled_shared = shared;
  pid = fork ();
  if (pid == 0)
    {
      wait_until_sleeping (parent);
      kill (parent, SIGUSR1);
      while (!*shared)
	sched_yield ();
      _exit (write (fds[1], "x", 1) == 1 ? 0 : 1);
    }
  ret = kml_syscall3 (entry, SYS_read, fds[0], &byte, 1);
  if (flags & SA_RESTART)
    {
      if (ret != 1 || byte != 'x' || handled != 1)
	return fail (check, "not restarted", ret);
    }
  else
    {
      if (ret != -EINTR || handled != 1)
	return fail (check, "not EINTR", ret);
      if (read (fds[0], &byte, 1) != 1 || byte != 'x')
	return fail (check, "byte after EINTR", 0);
    }
  if (waitpid (pid, NULL, 0) != pid)
    return fail (check, "waitpid", 0);
  return ok (check);
}

static int cleanup_ran;
static volatile pid_t reader_tid;

static void
note_cleanup (void *arg)
{
  (void) arg;
  cleanup_ran = 1;
}

static void *
blocked_reader (void *arg)
{
  int fd = *(int *) arg;
  char byte;

  pthread_cleanup_push (note_cleanup, NULL);
  pthread_setcanceltype (PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  reader_tid = gettid ();
  kml_syscall3 (entry, SYS_read, fd, &byte, 1);
  pthread_cleanup_pop (0);
  return NULL;
}

/* Cancelling a thread blocked in a direct read unwinds through the call
   site: the signal frame must show user code with unwind information.  */
static int
check_cancel (void)
{
  int fds[2];
  pthread_t thread;
  void *result;

  if (pipe (fds) != 0 || pthread_create (&thread, NULL, blocked_reader, fds))
    return fail ("cancel", "setup", 0);
  while (reader_tid == 0)
    sched_yield ();
  wait_until_sleeping (reader_tid);
  if (pthread_cancel (thread) != 0 || pthread_join (thread, &result) != 0)
    return fail ("cancel", "cancel or join", 0);
  if (result != PTHREAD_CANCELED)
    return fail ("cancel", "not cancelled", 0);
  return cleanup_ran ? ok ("cancel") : fail ("cancel", "no cleanup", 0);
}

/* A seccomp filter that fails getppid with EPERM: the same result through
   the entry as through syscall.  */
static int
check_seccomp (void)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = 4, .filter = filter };
  long pid = fork (), ret;

  if (pid == 0)
    {
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
	_exit (2);
      ret = kml_syscall3 (entry, SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0,
			  &prog);
      if (ret != 0)
	_exit (3);
      ret = kml_syscall0 (entry, SYS_getppid);
      _exit (ret == -EPERM ? 0 : 4);
    }
  ret = wait_child (pid);
  return ret == 0 ? ok ("seccomp") : fail ("seccomp", "child", ret);
}

static int
check_efault (void)
{
  long fd = open ("/dev/zero", O_RDONLY), ret;

  ret = kml_syscall3 (entry, SYS_read, fd, (void *) 1, 16);
  if (ret != -EFAULT)
    return fail ("efault", "read to a bad pointer", ret);
  ret = kml_syscall3 (entry, SYS_write, 1, (void *) -4096L, 16);
  if (ret != -EFAULT)
    return fail ("efault", "write from a kernel address", ret);
  return ok ("efault");
}

int
main (int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*check) (void);
  } checks[] = {
    { "getppid", check_getppid }, { "pipe", check_pipe },
    { "open", check_open }, { "mmap", check_mmap }, { "fork", check_fork },
    { "vfork", check_vfork }, { "execve", check_execve },
    { "exit_group", check_exit_group }, { "clone", check_clone },
    { "clone3", check_clone3 }, { "signal", check_signal },
    { "seccomp", check_seccomp }, { "efault", check_efault },
    { "cancel", check_cancel }, { "raw-syscall", check_raw_syscall },
  };
  size_t i;

  setvbuf (stdout, NULL, _IONBF, 0);
  entry = kml_entry ();
  if (argc == 2 && strcmp (argv[1], "way") == 0)
    {
      printf ("%s\n", entry ? "direct" : "syscall");
      return 0;
    }
  if (argc == 2 && strcmp (argv[1], "restart") == 0)
    return check_restart ("restart", SA_RESTART);
  if (argc == 2 && strcmp (argv[1], "eintr") == 0)
    return check_restart ("eintr", 0);
  for (i = 0; argc == 2 && i < sizeof checks / sizeof checks[0]; i++)
    if (strcmp (argv[1], checks[i].name) == 0)
      return checks[i].check ();
  fprintf (stderr, "usage: direct-test way|restart|eintr");
  for (i = 0; i < sizeof checks / sizeof checks[0]; i++)
    fprintf (stderr, "|%s", checks[i].name);
  fprintf (stderr, "\n");
  return 2;
}

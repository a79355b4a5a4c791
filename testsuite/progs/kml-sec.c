/* kml-sec: the attacks of kml.security (issue 12) and the probes they need.

   Usage: kml-sec CHECK [ARG...]
     cpl                 print "cpl=N", N = CS & 3
     status              print this process's KernelMode* lines of
                         /proc/self/status
     personality         print "personality=0x..." (personality(0xffffffff))
     setarch FLAGS PROG [ARG...]
                         exec PROG with personality FLAGS (as setarch -R)
     exec PROG [ARG...]  exec PROG at once (from /trusted: what a non-KML
                         program sees right after a KML one)
     clonefs PROG [ARG...]
                         run PROG in a child made by clone(CLONE_FS): it
                         shares root, cwd and umask with this process
     ns [OPTION...] PROG [ARG...]
                         exec PROG after changing root, mounts or user
                         namespace, in this order:
       --fd                open PROG (O_PATH) first, exec it by that fd
                           (execveat AT_EMPTY_PATH) at the end
       --wait FIFO         wait until a writer of FIFO closes it
       --userns            unshare a user and a mount namespace, this
                           user as its root
       --bind SRC:DEST     bind-mount SRC over DEST
       --overlay LOWER:UPPER:WORK:DEST
                           mount an overlayfs over DEST
       --chroot DIR        chroot to DIR
       --uid UID:GID       then become UID:GID (for a chroot made by root)
     attack [--as UID:GID] [TARGET-OPTION...] PROG
                         start "PROG target TARGET-OPTION...", become
                         UID:GID, and try every way into its memory and
                         state; one line per way, "WAY ok" or "WAY ERRNO"
     target [--dumpable] [--setuid UID:GID]
                         the victim of attack: optionally make itself
                         dumpable again (prctl) or drop root, then send
                         the addresses of its text and data on fd 3 and
                         wait to be killed
     perfinherit PROG [ARG...]
                         count the samples that an event of this process
                         inherited by its child takes after the child
                         execs PROG: "perf samples N"
     pkey                allocate a write-disabling protection key and
                         write through it: "pkey_alloc ERRNO",
                         "pkey SIGSEGV SEGV_PKUERR" or
                         "pkey write not refused"
     xonly               map a page execute-only and read it: "xonly
                         pkey=KEY read ok" or "... read SIGSEGV ..."

   Each check prints what it saw, not a verdict: the testsuite decides.
   An exec that fails prints "execv: ERRNO" (or execveat): refusing the
   exec is one way to refuse kernel mode.  A check that could not be set
   up prints "kml-sec: setup: WHAT: ERRNO" and tells nothing.  The exit
   status is 0 when the check was made, 1 otherwise, or that of the
   exec'd program.  */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* A check that could not be set up: the testsuite cannot tell anything
   from it (UNRESOLVED), so it says so in a way of its own.  */
static int
fail (const char *what)
{
  printf ("kml-sec: setup: %s: %s\n", what, strerrorname_np (errno));
  return 1;
}

/* An exec that failed: a result (refusing the exec is a way to refuse
   kernel mode).  */
static int
exec_failed (const char *what)
{
  printf ("%s: %s\n", what, strerrorname_np (errno));
  return 1;
}

/* UID:GID, as --as, --setuid and --uid take it.  */
static void
parse_ids (const char *text, uid_t *uid, gid_t *gid)
{
  unsigned int u, g;

  if (sscanf (text, "%u:%u", &u, &g) != 2)
    {
      fprintf (stderr, "kml-sec: %s: not UID:GID\n", text);
      exit (2);
    }
  *uid = u;
  *gid = g;
}

/* Become UID:GID with no supplementary groups and no capabilities.  */
static void
become (const char *ids)
{
  uid_t uid;
  gid_t gid;

  parse_ids (ids, &uid, &gid);
  if (setgroups (0, NULL) != 0 || setresgid (gid, gid, gid) != 0
      || setresuid (uid, uid, uid) != 0)
    exit (fail ("become"));
}

static int
check_cpl (void)
{
  unsigned short cs;

  asm volatile ("mov %%cs, %0" : "=r" (cs));
  printf ("cpl=%d\n", cs & 3);
  return 0;
}

static int
check_status (void)
{
  char line[512];
  FILE *status = fopen ("/proc/self/status", "re");

  if (status == NULL)
    return fail ("/proc/self/status");
  while (fgets (line, sizeof line, status) != NULL)
    if (strncmp (line, "KernelMode", 10) == 0)
      fputs (line, stdout);
  fclose (status);
  return 0;
}

static int
check_personality (void)
{
  printf ("personality=0x%x\n", (unsigned int) personality (0xffffffff));
  return 0;
}

static int
run_setarch (char **argv)
{
  if (personality (strtoul (argv[0], NULL, 0)) == -1)
    return fail ("personality");
  execv (argv[1], argv + 1);
  return exec_failed ("execv");
}

static int
run_exec (char **argv)
{
  execv (argv[0], argv);
  return exec_failed ("execv");
}

/* The child shares this process's fs_struct while it execs: the exec is
   LSM_UNSAFE_SHARE, where setuid gives no privilege.  A raw clone without
   a new stack works as fork does; the child only execs.  */
static int
run_clonefs (char **argv)
{
  int status;
  pid_t pid = syscall (SYS_clone, CLONE_FS | SIGCHLD, NULL, NULL, NULL, 0);

  if (pid < 0)
    return fail ("clone");
  if (pid == 0)
    {
      execv (argv[0], argv);
      _exit (exec_failed ("execv"));
    }
  if (waitpid (pid, &status, 0) != pid)
    return fail ("waitpid");
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
write_file (const char *path, const char *text)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);

  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t) strlen (text)
      || close (fd) != 0)
    exit (fail (path));
}

/* A user namespace whose root is this user, as `unshare -r' makes it, and
   a mount namespace that it owns.  */
static void
enter_userns (void)
{
  char map[64];
  uid_t uid = getuid ();
  gid_t gid = getgid ();

  if (unshare (CLONE_NEWUSER | CLONE_NEWNS) != 0)
    exit (fail ("unshare"));
  write_file ("/proc/self/setgroups", "deny");
  snprintf (map, sizeof map, "0 %u 1\n", (unsigned int) uid);
  write_file ("/proc/self/uid_map", map);
  snprintf (map, sizeof map, "0 %u 1\n", (unsigned int) gid);
  write_file ("/proc/self/gid_map", map);
}

/* Open FIFO (which blocks until someone opens it for writing) and read it
   to its end: what the writer does meanwhile happens after everything
   before this call.  */
static void
wait_for_writer (const char *fifo)
{
  char buf[64];
  ssize_t len;
  int fd = open (fifo, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    exit (fail (fifo));
  while ((len = read (fd, buf, sizeof buf)) > 0)
    ;
  if (len < 0)
    exit (fail (fifo));
  close (fd);
}

static char *
field (char **rest, const char *option)
{
  char *value = strsep (rest, ":");

  if (value == NULL || *value == '\0')
    {
      fprintf (stderr, "kml-sec: %s: missing a field\n", option);
      exit (2);
    }
  return value;
}

static int
run_ns (char **argv)
{
  char *bind = NULL, *overlay = NULL, *root = NULL, *ids = NULL;
  char *fifo = NULL;
  int by_fd = 0, userns = 0, fd = -1;
  char options[1024];

  for (; *argv != NULL && strncmp (*argv, "--", 2) == 0; argv++)
    {
      if (strcmp (*argv, "--fd") == 0)
	by_fd = 1;
      else if (strcmp (*argv, "--userns") == 0)
	userns = 1;
      else if (argv[1] == NULL)
	break;
      else if (strcmp (*argv, "--bind") == 0)
	bind = *++argv;
      else if (strcmp (*argv, "--overlay") == 0)
	overlay = *++argv;
      else if (strcmp (*argv, "--chroot") == 0)
	root = *++argv;
      else if (strcmp (*argv, "--uid") == 0)
	ids = *++argv;
      else if (strcmp (*argv, "--wait") == 0)
	fifo = *++argv;
      else
	break;
    }
  if (*argv == NULL || strncmp (*argv, "--", 2) == 0)
    {
      fprintf (stderr, "kml-sec: ns: bad arguments\n");
      return 2;
    }
  /* Opened before anything changes: the file is then the one of the
     trusted directory, on the mount of the initial namespace.  */
  if (by_fd && (fd = open (argv[0], O_PATH | O_CLOEXEC)) < 0)
    return fail ("open");
  if (fifo != NULL)
    wait_for_writer (fifo);
  if (userns)
    enter_userns ();
  if (bind != NULL)
    {
      char *src = field (&bind, "--bind"), *dest = field (&bind, "--bind");

      if (mount (src, dest, NULL, MS_BIND, NULL) != 0)
	return fail ("mount --bind");
    }
  if (overlay != NULL)
    {
      char *lower = field (&overlay, "--overlay");
      char *upper = field (&overlay, "--overlay");
      char *work = field (&overlay, "--overlay");
      char *dest = field (&overlay, "--overlay");

      snprintf (options, sizeof options,
		"lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
      if (mount ("overlay", dest, "overlay", 0, options) != 0)
	return fail ("mount overlay");
    }
  if (root != NULL && (chroot (root) != 0 || chdir ("/") != 0))
    return fail ("chroot");
  if (ids != NULL)
    become (ids);
  if (by_fd)
    {
      syscall (SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
      return exec_failed ("execveat");
    }
  execv (argv[0], argv);
  return exec_failed ("execv");
}

/* The victim's data: the attacker writes it with process_vm_writev.  */
static volatile unsigned long target_data = 1;

static int
run_target (char **argv)
{
  for (; *argv != NULL; argv++)
    if (strcmp (*argv, "--dumpable") == 0)
      {
	/* What nginx and many daemons do; the attack tells by its
	   result whether it worked.  */
	if (prctl (PR_SET_DUMPABLE, 1, 0, 0, 0) != 0)
	  fprintf (stderr, "kml-sec: target: prctl: %s\n",
		   strerrorname_np (errno));
      }
    else if (strcmp (*argv, "--setuid") == 0 && argv[1] != NULL)
      become (*++argv);
    else
      {
	fprintf (stderr, "kml-sec: target: bad argument %s\n", *argv);
	return 2;
      }
  if (dprintf (3, "%lx %lx\n", (unsigned long) (uintptr_t) run_target,
	       (unsigned long) (uintptr_t) &target_data) < 0)
    return fail ("target: fd 3");
  close (3);
  for (;;)
    pause ();
}

static void
report (const char *way, int ok)
{
  printf ("%s %s\n", way, ok ? "ok" : strerrorname_np (errno));
}

/* /proc/PID/NAME: open it (the access check is made there) and read.  */
static void
attack_proc_read (pid_t pid, const char *name)
{
  char path[64], buf[64];
  int fd;

  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, name);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  report (name, fd >= 0 && read (fd, buf, sizeof buf) >= 0);
  if (fd >= 0)
    close (fd);
}

/* /proc/PID/mem opened for writing: write one byte of the victim's text
   (the same byte back: this proves the access without breaking it).  */
static void
attack_mem (pid_t pid, unsigned long text)
{
  char path[64], byte;
  int fd, ok;

  snprintf (path, sizeof path, "/proc/%d/mem", (int) pid);
  fd = open (path, O_RDWR | O_CLOEXEC);
  ok = fd >= 0 && pread (fd, &byte, 1, text) == 1
       && pwrite (fd, &byte, 1, text) == 1;
  report ("mem", ok);
  if (fd >= 0)
    close (fd);
}

static void
attack_process_vm (pid_t pid, unsigned long text, unsigned long data)
{
  unsigned long value = 2;
  char code[16];
  struct iovec local = { &value, sizeof value };
  struct iovec remote = { (void *) data, sizeof value };

  report ("process_vm_writev",
	  process_vm_writev (pid, &local, 1, &remote, 1, 0)
	  == (ssize_t) sizeof value);
  local = (struct iovec) { code, sizeof code };
  remote = (struct iovec) { (void *) text, sizeof code };
  report ("process_vm_readv",
	  process_vm_readv (pid, &local, 1, &remote, 1, 0)
	  == (ssize_t) sizeof code);
}

/* A copy of the victim's standard input.  */
static void
attack_pidfd_getfd (pid_t pid)
{
  int pidfd = syscall (SYS_pidfd_open, pid, 0), fd = -1;

  if (pidfd >= 0)
    fd = syscall (SYS_pidfd_getfd, pidfd, 0, 0);
  report ("pidfd_getfd", fd >= 0);
  if (fd >= 0)
    close (fd);
  if (pidfd >= 0)
    close (pidfd);
}

/* A software counter on the victim: user space only, which an unprivileged
   user may measure of their own processes (perf_event_paranoid 2).  */
static void
attack_perf (pid_t pid)
{
  struct perf_event_attr attr;
  int fd;

  memset (&attr, 0, sizeof attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof attr;
  attr.config = PERF_COUNT_SW_TASK_CLOCK;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  fd = syscall (SYS_perf_event_open, &attr, pid, -1, -1, 0);
  report ("perf_event_open", fd >= 0);
  if (fd >= 0)
    close (fd);
}

static void
attack_ptrace (pid_t pid)
{
  int status, ok = ptrace (PTRACE_ATTACH, pid, NULL, NULL) == 0;

  report ("ptrace", ok);
  if (ok)
    {
      waitpid (pid, &status, 0);
      ptrace (PTRACE_DETACH, pid, NULL, NULL);
    }
}

/* The victim's KernelMode line, readable by anyone: proves the setup.  */
static void
print_kernel_mode (pid_t pid)
{
  char path[64], line[256];
  int mode = -1;
  FILE *status;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  if ((status = fopen (path, "re")) != NULL)
    {
      while (fgets (line, sizeof line, status) != NULL)
	sscanf (line, "KernelMode: %d", &mode);
      fclose (status);
    }
  printf ("target kernel mode %d\n", mode);
}

static int
run_attack (char **argv)
{
  const char *as = NULL;
  char *target[8] = { NULL, "target" }, line[64];
  int fds[2], n = 2, status;
  unsigned long text, data;
  FILE *addresses;
  pid_t pid;

  if (*argv != NULL && strcmp (*argv, "--as") == 0 && argv[1] != NULL)
    {
      as = argv[1];
      argv += 2;
    }
  for (; *argv != NULL && argv[1] != NULL && n < 6; argv++)
    target[n++] = *argv;
  if (*argv == NULL || argv[1] != NULL)
    {
      fprintf (stderr, "kml-sec: attack: no program, or too many options\n");
      return 2;
    }
  target[0] = *argv;
  if (pipe2 (fds, O_CLOEXEC) != 0)
    return fail ("pipe");
  pid = fork ();
  if (pid < 0)
    return fail ("fork");
  if (pid == 0)
    {
      /* dup2 clears close-on-exec, but not when the pipe is fd 3.  */
      if (dup2 (fds[1], 3) != 3 || fcntl (3, F_SETFD, 0) != 0)
	_exit (fail ("dup2"));
      execv (target[0], target);
      _exit (fail ("execv"));
    }
  close (fds[1]);
  if (as != NULL)
    become (as);
  addresses = fdopen (fds[0], "r");
  if (addresses == NULL || fgets (line, sizeof line, addresses) == NULL
      || sscanf (line, "%lx %lx", &text, &data) != 2)
    {
      kill (pid, SIGKILL);
      waitpid (pid, &status, 0);
      printf ("target did not start\n");
      return 1;
    }
  print_kernel_mode (pid);
  attack_mem (pid, text);
  attack_process_vm (pid, text, data);
  attack_pidfd_getfd (pid);
  attack_perf (pid);
  attack_proc_read (pid, "auxv");
  attack_proc_read (pid, "environ");
  attack_proc_read (pid, "maps");
  attack_proc_read (pid, "syscall");
  attack_ptrace (pid);
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
  return 0;
}

/* Copy LEN bytes at OFFSET of a perf ring buffer of SIZE bytes (a power
   of two), where a record may wrap around the end.  */
static void
ring_copy (const char *data, size_t size, uint64_t offset, void *out,
	   size_t len)
{
  size_t i;

  for (i = 0; i < len; i++)
    ((char *) out)[i] = data[(offset + i) & (size - 1)];
}

/* The samples of process PID in a perf ring buffer of SIZE bytes after
   the control page META.  */
static unsigned long
count_samples (struct perf_event_mmap_page *meta, size_t page, size_t size,
	       pid_t pid)
{
  struct perf_event_header header;
  const char *data = (char *) meta + page;
  uint64_t head = __atomic_load_n (&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t offset;
  unsigned long samples = 0;
  uint32_t ids[2];

  for (offset = meta->data_tail; offset < head; offset += header.size)
    {
      ring_copy (data, size, offset, &header, sizeof header);
      if (header.size < sizeof header)
	break;
      if (header.type != PERF_RECORD_SAMPLE)
	continue;
      ring_copy (data, size, offset + sizeof header, ids, sizeof ids);
      samples += ids[0] == (uint32_t) pid;
    }
  return samples;
}

enum { MAX_CPUS = 16 };

/* A sampling event on this process, inherited by its child, enabled when
   the child execs PROG: a sample per page fault of PROG's user code, with
   its pid.  Monitoring one's own children is allowed; it must end where
   the child becomes a KML process (as it ends where the child execs a
   setuid program), or the samples (registers and stack, if asked for)
   come from a CPL0 process.  An inherited event can only be mapped per
   CPU: one per CPU.  Prints "perf samples N" for the child.  */
static int
run_perf_inherit (char **argv)
{
  struct perf_event_attr attr;
  struct perf_event_mmap_page *meta[MAX_CPUS];
  size_t page = sysconf (_SC_PAGESIZE), size = 8 * page;
  long cpus = sysconf (_SC_NPROCESSORS_ONLN), cpu;
  unsigned long samples = 0;
  int fd, status;
  pid_t pid;

  if (cpus < 1 || cpus > MAX_CPUS)
    {
      errno = ERANGE;
      return fail ("CPUs");
    }
  memset (&attr, 0, sizeof attr);
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof attr;
  attr.config = PERF_COUNT_SW_PAGE_FAULTS;
  attr.sample_period = 1;
  attr.sample_type = PERF_SAMPLE_TID;
  attr.inherit = 1;
  attr.disabled = 1;
  attr.enable_on_exec = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  for (cpu = 0; cpu < cpus; cpu++)
    {
      fd = syscall (SYS_perf_event_open, &attr, 0, cpu, -1,
		    PERF_FLAG_FD_CLOEXEC);
      if (fd < 0)
	return fail ("perf_event_open");
      meta[cpu] = mmap (NULL, page + size, PROT_READ | PROT_WRITE,
			MAP_SHARED, fd, 0);
      if (meta[cpu] == MAP_FAILED)
	return fail ("mmap");
    }
  pid = fork ();
  if (pid < 0)
    return fail ("fork");
  if (pid == 0)
    {
      execv (argv[0], argv);
      _exit (exec_failed ("execv"));
    }
  if (waitpid (pid, &status, 0) != pid)
    return fail ("waitpid");
  for (cpu = 0; cpu < cpus; cpu++)
    samples += count_samples (meta[cpu], page, size, pid);
  printf ("perf samples %lu\n", samples);
  return 0;
}

static sigjmp_buf recover;
static volatile sig_atomic_t segv_code;

static void
note_segv (int sig, siginfo_t *info, void *ucontext)
{
  (void) sig;
  (void) ucontext;
  segv_code = info->si_code;
  siglongjmp (recover, 1);
}

static int
check_pkey (void)
{
  struct sigaction sa;
  volatile int *page;
  int key = pkey_alloc (0, PKEY_DISABLE_WRITE);

  if (key < 0)
    {
      printf ("pkey_alloc %s\n", strerrorname_np (errno));
      return 0;
    }
  page = mmap (NULL, 4096, PROT_READ | PROT_WRITE,
	       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED)
    return fail ("mmap");
  /* Present before it gets the key: a fault on a missing page checks the
     key in software, whatever the CPU does; only a present page shows
     whether the CPU enforces it.  */
  *page = 0;
  if (pkey_mprotect ((void *) page, 4096, PROT_READ | PROT_WRITE, key) != 0)
    return fail ("pkey_mprotect");
  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = note_segv;
  sa.sa_flags = SA_SIGINFO;
  if (sigaction (SIGSEGV, &sa, NULL) != 0)
    return fail ("sigaction");
  if (sigsetjmp (recover, 1) == 0)
    {
      *page = 1;
      printf ("pkey write not refused\n");
    }
  else if (segv_code == SEGV_PKUERR)
    printf ("pkey SIGSEGV SEGV_PKUERR\n");
  else
    printf ("pkey SIGSEGV code %d\n", (int) segv_code);
  return 0;
}

/* The protection key of the mapping at ADDR, from /proc/self/smaps.  */
static int
smaps_pkey (unsigned long addr)
{
  char line[256], perms[8];
  unsigned long start, end;
  int key = -1, in_mapping = 0;
  FILE *smaps = fopen ("/proc/self/smaps", "re");

  if (smaps == NULL)
    return -1;
  while (fgets (line, sizeof line, smaps) != NULL)
    if (sscanf (line, "%lx-%lx %7s", &start, &end, perms) == 3)
      in_mapping = start == addr;
    else if (in_mapping)
      sscanf (line, "ProtectionKey: %d", &key);
  fclose (smaps);
  return key;
}

/* An execute-only page: the kernel gives it a key that denies reads
   (when the CPU has protection keys), which protects nothing where PKRU
   does not apply (supervisor pages, a KML task).  */
static int
check_xonly (void)
{
  struct sigaction sa;
  volatile char *page = mmap (NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  if (page == MAP_FAILED)
    return fail ("mmap");
  /* Present first, as in check_pkey.  */
  *page = 0;
  if (mprotect ((void *) page, 4096, PROT_EXEC) != 0)
    return fail ("mprotect");
  printf ("xonly pkey=%d ", smaps_pkey ((unsigned long) page));
  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = note_segv;
  sa.sa_flags = SA_SIGINFO;
  if (sigaction (SIGSEGV, &sa, NULL) != 0)
    return fail ("sigaction");
  if (sigsetjmp (recover, 1) == 0)
    {
      (void) *page;
      printf ("read ok\n");
    }
  else if (segv_code == SEGV_PKUERR)
    printf ("read SIGSEGV SEGV_PKUERR\n");
  else
    printf ("read SIGSEGV code %d\n", (int) segv_code);
  return 0;
}

int
main (int argc, char **argv)
{
  const char *check = argc > 1 ? argv[1] : "";

  setvbuf (stdout, NULL, _IONBF, 0);
  if (strcmp (check, "cpl") == 0)
    return check_cpl ();
  if (strcmp (check, "status") == 0)
    return check_status ();
  if (strcmp (check, "personality") == 0)
    return check_personality ();
  if (strcmp (check, "setarch") == 0 && argc > 3)
    return run_setarch (argv + 2);
  if (strcmp (check, "exec") == 0 && argc > 2)
    return run_exec (argv + 2);
  if (strcmp (check, "clonefs") == 0 && argc > 2)
    return run_clonefs (argv + 2);
  if (strcmp (check, "ns") == 0 && argc > 2)
    return run_ns (argv + 2);
  if (strcmp (check, "attack") == 0 && argc > 2)
    return run_attack (argv + 2);
  if (strcmp (check, "target") == 0)
    return run_target (argv + 2);
  if (strcmp (check, "perfinherit") == 0 && argc > 2)
    return run_perf_inherit (argv + 2);
  if (strcmp (check, "pkey") == 0)
    return check_pkey ();
  if (strcmp (check, "xonly") == 0)
    return check_xonly ();
  fprintf (stderr, "usage: kml-sec cpl|status|personality|"
	   "setarch FLAGS PROG...|exec PROG...|clonefs PROG...|"
	   "ns [OPTION...] PROG...|attack [--as UID:GID] [OPTION...] PROG|"
	   "target [OPTION...]|perfinherit PROG...|pkey|xonly\n");
  return 2;
}

/* kmlstat: run a command and print how its system calls entered the kernel.

   The KML kernel counts every system call of a task by way of entry
   (direct call, syscall, sysenter, int $0x80) and shows the sums of the
   whole process in /proc/PID/status.  kmlstat waits for the command with
   WNOWAIT, so the finished child is still a zombie with its counts when
   they are read, then reaps it.  Like strace -c, it prints its summary to
   standard error (or to -o FILE) and exits with the command's status.  */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit status when kmlstat itself fails (as env(1) and timeout(1)).  */
enum
{
  EXIT_KMLSTAT_FAILED = 125,
  EXIT_CANNOT_RUN = 126,
  EXIT_NOT_FOUND = 127
};

#define NR_WAYS 4

/* In the order of the kernel's SyscallsProcess line.  */
static const char *const way_names[NR_WAYS] =
  { "direct", "syscall", "sysenter", "int80" };

struct counts
{
  int kernel_mode;
  unsigned long long way[NR_WAYS];
  /* Why a program of the trusted directory ran in user mode, or "".  */
  char refused[256];
};

static void
usage (FILE *out)
{
  fprintf (out,
	   "Usage: kmlstat [-o FILE] [--] COMMAND [ARG...]\n"
	   "\n"
	   "Run COMMAND and print how many of its system calls (all threads,\n"
	   "since its last exec) entered the kernel by each way: the direct\n"
	   "call of Kernel Mode Linux, or the trapping instructions syscall,\n"
	   "sysenter and int $0x80, and, for a program of the trusted\n"
	   "directory that ran in user mode, why the kernel refused it kernel\n"
	   "mode.  Needs a kernel built with CONFIG_KERNEL_MODE_LINUX.\n"
	   "\n"
	   "  -o FILE     write the summary to FILE instead of standard error\n"
	   "  -h, --help  show this help\n"
	   "\n"
	   "Exit status: COMMAND's, 128+N if a signal N ended it, 125 if\n"
	   "kmlstat failed, 126 if COMMAND cannot run, 127 if not found.\n");
}

/* Read the KernelMode and SyscallsProcess lines of PID's status.  */
static bool
read_counts (pid_t pid, struct counts *counts)
{
  char path[64], line[512];
  bool have_mode = false, have_counts = false;
  FILE *status;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  status = fopen (path, "re");
  if (status == NULL)
    {
      fprintf (stderr, "kmlstat: %s: %s\n", path, strerror (errno));
      return false;
    }
  while (fgets (line, sizeof line, status) != NULL)
    {
      if (sscanf (line, "KernelMode: %d", &counts->kernel_mode) == 1)
	have_mode = true;
      else if (sscanf (line, "KernelModeRefused: %255[^\n]",
		       counts->refused) == 1)
	continue;
      else if (sscanf (line, "SyscallsProcess: direct %llu syscall %llu "
		       "sysenter %llu int80 %llu", &counts->way[0],
		       &counts->way[1], &counts->way[2], &counts->way[3]) == 4)
	have_counts = true;
    }
  fclose (status);
  if (!have_mode || !have_counts)
    {
      fprintf (stderr, "kmlstat: %s has no KernelMode/SyscallsProcess "
	       "line: this kernel does not count system calls "
	       "(CONFIG_KERNEL_MODE_LINUX)\n", path);
      return false;
    }
  return true;
}

static void
print_counts (FILE *out, const char *command, const siginfo_t *info,
	      const struct counts *counts)
{
  unsigned long long total = 0;
  int way;

  if (info->si_code == CLD_EXITED)
    fprintf (out, "kmlstat: %s: exit status %d, kernel mode %d\n", command,
	     info->si_status, counts->kernel_mode);
  else
    fprintf (out, "kmlstat: %s: killed by signal %d (%s), kernel mode %d\n",
	     command, info->si_status, strsignal (info->si_status),
	     counts->kernel_mode);
  if (counts->refused[0] != '\0')
    fprintf (out, "kmlstat: %s: kernel mode refused: %s\n", command,
	     counts->refused);
  fprintf (out, "%12s  %s\n%12s  %s\n", "calls", "way",
	   "------------", "--------");
  for (way = 0; way < NR_WAYS; way++)
    {
      fprintf (out, "%12llu  %s\n", counts->way[way], way_names[way]);
      total += counts->way[way];
    }
  fprintf (out, "%12s  %s\n%12llu  total\n%12llu  trapped\n",
	   "------------", "--------", total, total - counts->way[0]);
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 }
  };
  const char *output = NULL;
  struct counts counts = { 0 };
  siginfo_t info;
  int opt, errpipe[2], child_errno = 0;
  pid_t pid;
  FILE *out = stderr;

  while ((opt = getopt_long (argc, argv, "+o:h", options, NULL)) != -1)
    switch (opt)
      {
      case 'o':
	output = optarg;
	break;
      case 'h':
	usage (stdout);
	return EXIT_SUCCESS;
      default:
	usage (stderr);
	return EXIT_KMLSTAT_FAILED;
      }
  if (optind == argc)
    {
      fprintf (stderr, "kmlstat: no command given (try --help)\n");
      return EXIT_KMLSTAT_FAILED;
    }
  if (output != NULL && (out = fopen (output, "we")) == NULL)
    {
      fprintf (stderr, "kmlstat: %s: %s\n", output, strerror (errno));
      return EXIT_KMLSTAT_FAILED;
    }

  /* A close-on-exec pipe tells the parent whether exec failed.  */
  if (pipe2 (errpipe, O_CLOEXEC) != 0)
    {
      perror ("kmlstat: pipe2");
      return EXIT_KMLSTAT_FAILED;
    }
  pid = fork ();
  if (pid < 0)
    {
      perror ("kmlstat: fork");
      return EXIT_KMLSTAT_FAILED;
    }
  if (pid == 0)
    {
      int err;

      close (errpipe[0]);
      execvp (argv[optind], argv + optind);
      err = errno;
      if (write (errpipe[1], &err, sizeof err) != sizeof err)
	_exit (EXIT_CANNOT_RUN);
      _exit (err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN);
    }
  close (errpipe[1]);
  if (read (errpipe[0], &child_errno, sizeof child_errno)
      == sizeof child_errno)
    fprintf (stderr, "kmlstat: %s: %s\n", argv[optind],
	     strerror (child_errno));
  close (errpipe[0]);

  /* Keep the child a zombie while its counts are read.  */
  while (waitid (P_PID, pid, &info, WEXITED | WNOWAIT) != 0)
    if (errno != EINTR)
      {
	perror ("kmlstat: waitid");
	return EXIT_KMLSTAT_FAILED;
      }
  if (child_errno == 0 && !read_counts (pid, &counts))
    child_errno = -1;
  waitpid (pid, NULL, 0);

  if (child_errno != 0)
    return child_errno > 0 ? info.si_status : EXIT_KMLSTAT_FAILED;
  print_counts (out, argv[optind], &info, &counts);
  if (out != stderr && fclose (out) != 0)
    {
      fprintf (stderr, "kmlstat: %s: %s\n", output, strerror (errno));
      return EXIT_KMLSTAT_FAILED;
    }
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

/*
 * syscall-bench: the cost of common system calls, as users get them.
 *
 * Every call goes through glibc's ordinary wrapper: the source is not
 * changed for KML, so the same binary measures the trapping path from
 * /usr/bin, and the direct entry when it runs from /trusted on a KML kernel
 * with the patched glibc.  The raw `syscall' loop is the trap reference
 * that no glibc can turn into a call; the empty loop is the loop overhead
 * that every other figure includes.
 *
 * Timing is CLOCK_MONOTONIC around a batch of iterations.  Under QEMU with
 * -icount shift=0,sleep=off the guest clock advances one nanosecond per
 * guest instruction, so "ns per call" is then guest instructions per call.
 *
 * Output (stdout, one line per benchmark, comments start with '#'):
 *	NAME ITERATIONS MEDIAN_NS MIN_NS MAX_NS
 * and a last line "# end N" once all N benchmarks completed.
 * Any failed call ends the program with a message and exit status 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __x86_64__
#include "../vdso/kml.h"
#endif

#define BENCH_VERSION	1
#define MAX_REPS	101

#ifndef AT_SYSINFO
#define AT_SYSINFO	32
#endif

static const char *progname = "syscall-bench";

/* Set up once by main() so that every benchmark compares against them. */
static pid_t parent_pid;
static int zero_fd = -1;
static int null_fd = -1;

/* Pipe ping-pong: parent writes to ping[1], the child echoes to pong[1]. */
static int ping[2] = { -1, -1 };
static int pong[2] = { -1, -1 };
static pid_t echo_pid = -1;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/*
 * A failed call ends the run: a benchmark that silently measured an error
 * path (EBADF returns early) would report a figure that means nothing.
 */
static void __attribute__((noreturn))
call_failed(const char *bench, const char *call, long ret)
{
	die("%s: %s failed (returned %ld, errno %d: %s)", bench, call, ret,
	    errno, strerror(errno));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		die("clock_gettime(CLOCK_MONOTONIC): %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* The benchmarks: each runs N iterations of one operation.           */

static void run_loop(unsigned long n)
{
	unsigned long i;

	/* The empty asm keeps the compiler from deleting the loop. */
	for (i = 0; i < n; i++)
		__asm__ __volatile__("" ::: "memory");
}

static void run_getppid(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		pid_t ret = getppid();

		if (ret != parent_pid)
			call_failed("getppid", "getppid", ret);
	}
}

static void run_clock_gettime(unsigned long n)
{
	struct timespec ts;
	unsigned long i;

	for (i = 0; i < n; i++) {
		int ret = clock_gettime(CLOCK_MONOTONIC, &ts);

		if (ret != 0)
			call_failed("clock_gettime", "clock_gettime", ret);
	}
}

#ifdef __x86_64__
/*
 * The trap itself, without glibc: this stays a `syscall' instruction
 * whatever libc and kernel run it, so it is the reference for the
 * trapping path.  RCX and R11 are clobbered by the instruction.
 */
static inline long raw_getppid(void)
{
	long ret;

	__asm__ __volatile__("syscall"
			     : "=a"(ret)
			     : "0"((long)SYS_getppid)
			     : "rcx", "r11", "memory");
	return ret;
}

static void run_syscall_insn(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		long ret = raw_getppid();

		if (ret != parent_pid)
			call_failed("syscall", "syscall(SYS_getppid)", ret);
	}
}

/*
 * The KML direct entry without glibc: "call *%r11" to AT_SYSINFO, inline
 * as glibc's calls are (kml_syscall6_inline of vdso/kml.h), with the
 * `syscall' fallback where there is none, so the same binary measures
 * the direct path from /trusted and the trap elsewhere.
 */
static void run_direct_call(unsigned long n)
{
	unsigned long entry = kml_entry();
	unsigned long i;

	for (i = 0; i < n; i++) {
		long ret = kml_syscall6_inline(entry, SYS_getppid,
						0, 0, 0, 0, 0, 0);

		if (ret != parent_pid)
			call_failed("direct", "call *AT_SYSINFO (SYS_getppid)", ret);
	}
}
#endif

static void run_read(unsigned long n)
{
	unsigned long i;
	char c;

	for (i = 0; i < n; i++) {
		ssize_t ret = read(zero_fd, &c, 1);

		if (ret != 1)
			call_failed("read", "read(/dev/zero, 1)", ret);
	}
}

static void run_write(unsigned long n)
{
	unsigned long i;
	char c = 'x';

	for (i = 0; i < n; i++) {
		ssize_t ret = write(null_fd, &c, 1);

		if (ret != 1)
			call_failed("write", "write(/dev/null, 1)", ret);
	}
}

static void run_open_close(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd < 0)
			call_failed("open_close", "open(/dev/null)", fd);
		if (close(fd) != 0)
			call_failed("open_close", "close", -1);
	}
}

static void run_stat(unsigned long n)
{
	struct stat st;
	unsigned long i;

	for (i = 0; i < n; i++) {
		int ret = stat("/dev/null", &st);

		if (ret != 0)
			call_failed("stat", "stat(/dev/null)", ret);
	}
}

static void run_mmap_munmap(unsigned long n)
{
	unsigned long i;

	/* Not touched: the figure is the two calls, not a page fault. */
	for (i = 0; i < n; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			call_failed("mmap_munmap", "mmap(4 KiB)", -1);
		if (munmap(p, 4096) != 0)
			call_failed("mmap_munmap", "munmap(4 KiB)", -1);
	}
}

static void run_fork_wait(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			call_failed("fork_wait", "fork", pid);
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &status, 0) != pid)
			call_failed("fork_wait", "waitpid", -1);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("fork_wait: child ended with status 0x%x", status);
	}
}

/*
 * The echo process of the ping-pong: one byte back for each byte in, until
 * end of file.  Any error ends it with status 1, which pipe_stop() reports.
 */
static void __attribute__((noreturn)) echo_child(void)
{
	char c;

	close(ping[1]);
	close(pong[0]);
	for (;;) {
		ssize_t ret = read(ping[0], &c, 1);

		if (ret == 0)
			_exit(0);
		if (ret != 1 || write(pong[1], &c, 1) != 1)
			_exit(1);
	}
}

static void pipe_start(void)
{
	if (pipe(ping) != 0 || pipe(pong) != 0)
		die("pipe: %s", strerror(errno));
	echo_pid = fork();
	if (echo_pid < 0)
		die("fork of the pipe echo process: %s", strerror(errno));
	if (echo_pid == 0)
		echo_child();
	close(ping[0]);
	close(pong[1]);
}

static void pipe_stop(void)
{
	int status;

	close(ping[1]);
	close(pong[0]);
	if (waitpid(echo_pid, &status, 0) != echo_pid)
		die("waitpid of the pipe echo process: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("pipe: echo process ended with status 0x%x", status);
}

/* One round trip: our write wakes the echo process, its write wakes us. */
static void run_pipe_pingpong(unsigned long n)
{
	unsigned long i;
	char c = 'p';

	for (i = 0; i < n; i++) {
		ssize_t ret = write(ping[1], &c, 1);

		if (ret != 1)
			call_failed("pipe_pingpong", "write(pipe)", ret);
		ret = read(pong[0], &c, 1);
		if (ret != 1)
			call_failed("pipe_pingpong", "read(pipe)", ret);
	}
}

struct bench {
	const char *name;
	const char *what;
	unsigned long iterations;	/* at scale 1; -q divides by 100 */
	void (*run)(unsigned long n);
	void (*start)(void);
	void (*stop)(void);
};

/*
 * Iterations are chosen so that one repetition of each costs some tens of
 * millions of guest instructions at most: with -icount shift=0 QEMU runs
 * a few hundred million guest instructions per second, and `make bench'
 * boots four guests per kernel.
 */
static const struct bench benches[] = {
	{ "loop", "empty loop iteration (overhead in every figure)",
	  1000000, run_loop, NULL, NULL },
	{ "clock_gettime", "clock_gettime(CLOCK_MONOTONIC), vDSO",
	  100000, run_clock_gettime, NULL, NULL },
	{ "getppid", "getppid() through glibc",
	  100000, run_getppid, NULL, NULL },
#ifdef __x86_64__
	{ "syscall", "raw `syscall' instruction, SYS_getppid",
	  100000, run_syscall_insn, NULL, NULL },
	{ "direct", "raw call through the KML entry, SYS_getppid",
	  100000, run_direct_call, NULL, NULL },
#endif
	{ "read", "read 1 byte from /dev/zero",
	  50000, run_read, NULL, NULL },
	{ "write", "write 1 byte to /dev/null",
	  50000, run_write, NULL, NULL },
	{ "open_close", "open(/dev/null) + close",
	  5000, run_open_close, NULL, NULL },
	{ "stat", "stat(/dev/null)",
	  5000, run_stat, NULL, NULL },
	{ "pipe_pingpong", "1-byte pipe round trip between two processes",
	  3000, run_pipe_pingpong, pipe_start, pipe_stop },
	{ "mmap_munmap", "mmap + munmap of 4 KiB anonymous memory",
	  5000, run_mmap_munmap, NULL, NULL },
	{ "fork_wait", "fork + _exit + waitpid",
	  200, run_fork_wait, NULL, NULL },
};

#define NBENCHES (sizeof(benches) / sizeof(benches[0]))

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Warm up (caches, page tables, lazy binding of the PLT slot), then time
 * REPS batches of N iterations; report the median and the spread.
 */
static void run_bench(const struct bench *b, unsigned long n, int reps)
{
	double per_call[MAX_REPS], median;
	int r;

	if (b->start)
		b->start();
	b->run(n / 10 ? n / 10 : 1);
	for (r = 0; r < reps; r++) {
		uint64_t t0 = now_ns();

		b->run(n);
		per_call[r] = (double)(now_ns() - t0) / (double)n;
	}
	if (b->stop)
		b->stop();
	qsort(per_call, reps, sizeof(per_call[0]), cmp_double);
	median = reps % 2 ? per_call[reps / 2] :
		 (per_call[reps / 2 - 1] + per_call[reps / 2]) / 2;
	printf("%s %lu %.2f %.2f %.2f\n", b->name, n, median, per_call[0],
	       per_call[reps - 1]);
	/* One line at a time: the driver shows progress from it. */
	fflush(stdout);
}

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: %s [-q] [-r REPS] [-m MULT] [-b NAME[,NAME...]] [-l] [-h]\n"
		"\n"
		"Time common system calls through glibc's wrappers.  Prints one\n"
		"line per benchmark: NAME ITERATIONS MEDIAN_NS MIN_NS MAX_NS (ns per\n"
		"call; guest instructions per call under QEMU -icount shift=0),\n"
		"comments start with '#', the last line is '# end N'.\n"
		"\n"
		"  -q        quick: 1/100 of the iterations, 3 repetitions unless -r\n"
		"            (smoke test)\n"
		"  -r REPS   repetitions, the median is reported (default 5, max %d)\n"
		"  -m MULT   multiply every iteration count by MULT (default 1)\n"
		"  -b LIST   run only these benchmarks (comma-separated names)\n"
		"  -l        list the benchmarks and exit\n"
		"  -h        this help\n"
		"\n"
		"Exit status: 0 all calls succeeded, 1 a call failed, 2 usage error.\n"
		"\nBenchmarks:\n", progname, MAX_REPS);
	for (i = 0; i < NBENCHES; i++)
		fprintf(out, "  %-14s %s\n", benches[i].name, benches[i].what);
}

static int selected(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	if (!list)
		return 1;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return 1;
		p += len;
	}
	return 0;
}

static unsigned long parse_ulong(const char *arg, char opt)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || !*arg || *end || v == 0) {
		fprintf(stderr, "%s: -%c needs a positive number, not '%s'\n",
			progname, opt, arg);
		exit(2);
	}
	return v;
}

/* Facts that decide how to read the figures, as comment lines. */
static void print_header(int reps, int quick, unsigned long mult)
{
	char exe[4096], line[256];
	struct utsname u;
	ssize_t len;
	FILE *f;

	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[len > 0 ? len : 0] = '\0';
	if (uname(&u) != 0)
		die("uname: %s", strerror(errno));
	printf("# syscall-bench %d\n", BENCH_VERSION);
	printf("# exe %s\n", len > 0 ? exe : "?");
	printf("# kernel %s %s\n", u.release, u.machine);
	printf("# glibc %s\n", gnu_get_libc_version());
	/*
	 * The KML entry contract: the kernel passes AT_SYSINFO to a
	 * kernel-mode process only.  Its presence says this run can take
	 * the direct path; the address itself is not printed (KASLR).
	 */
	printf("# kml-entry %s\n", getauxval(AT_SYSINFO) ? "yes" : "no");
	printf("# vdso %s\n", getauxval(AT_SYSINFO_EHDR) ? "yes" : "no");
	/* Whatever the KML kernel says about this task in /proc. */
	f = fopen("/proc/self/status", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (!strncasecmp(line, "kml", 3))
				printf("# status %s", line);
		fclose(f);
	}
	printf("# reps %d mult %lu%s\n", reps, mult, quick ? " quick" : "");
	printf("# name iterations median_ns min_ns max_ns\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	unsigned long mult = 1;
	int quick = 0, reps = 0, opt, done = 0;
	size_t i;

	while ((opt = getopt(argc, argv, "qr:m:b:lh")) != -1) {
		switch (opt) {
		case 'q':
			quick = 1;
			break;
		case 'r':
			reps = (int)parse_ulong(optarg, 'r');
			if (reps > MAX_REPS) {
				fprintf(stderr, "%s: at most %d repetitions\n",
					progname, MAX_REPS);
				return 2;
			}
			break;
		case 'm':
			mult = parse_ulong(optarg, 'm');
			break;
		case 'b':
			only = optarg;
			break;
		case 'l':
			for (i = 0; i < NBENCHES; i++)
				printf("%s\n", benches[i].name);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (try -h)\n",
			progname, argv[optind]);
		return 2;
	}
	if (only) {
		/* Every name asked for must exist: a typo is not an empty run. */
		char *list = strdup(only), *name, *save = NULL;

		if (!list)
			die("out of memory");
		for (name = strtok_r(list, ",", &save); name;
		     name = strtok_r(NULL, ",", &save)) {
			for (i = 0; i < NBENCHES; i++)
				if (!strcmp(benches[i].name, name))
					break;
			if (i == NBENCHES) {
				fprintf(stderr, "%s: no benchmark '%s' (try -l)\n",
					progname, name);
				return 2;
			}
		}
		free(list);
	}

	/* -r wins over -q's default, in any order. */
	if (!reps)
		reps = quick ? 3 : 5;

	parent_pid = getppid();
	zero_fd = open("/dev/zero", O_RDONLY);
	null_fd = open("/dev/null", O_WRONLY);
	if (zero_fd < 0 || null_fd < 0)
		die("/dev/zero or /dev/null: %s", strerror(errno));
	/*
	 * A write to a pipe whose reader died must fail with EPIPE, which
	 * the ping-pong reports, rather than kill us silently.
	 */
	signal(SIGPIPE, SIG_IGN);

	print_header(reps, quick, mult);
	for (i = 0; i < NBENCHES; i++) {
		unsigned long n = benches[i].iterations * mult;

		if (!selected(only, benches[i].name))
			continue;
		if (quick)
			n = n / 100 ? n / 100 : 1;
		run_bench(&benches[i], n, reps);
		done++;
	}
	printf("# end %d\n", done);
	return 0;
}

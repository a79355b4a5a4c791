/*
 * The clocks that glibc sends to the vDSO (issue 15): every one of them,
 * and gettimeofday() and time(), which the vDSO serves itself only for the
 * high-resolution, coarse and raw clocks and only while the clocksource
 * has a vDSO mode.  For everything else it falls back to a system call,
 * which in a KML task must go through the direct entry
 * (kml.trusted/vdso.exp counts the traps with kmlstat).
 *
 * vdso-clocks        one line "NAME ok" per check, in a fixed order, or
 *                    "NAME FAIL: why"; exit status 1 if any failed
 * vdso-clocks maps   where the [kml] page lies: "[kml] below [vvar]",
 *                    "[kml] elsewhere" or "no [kml]"
 * vdso-clocks bench CLOCK N
 *                    N calls of clock_gettime(CLOCK), then the CLOCK_MONOTONIC
 *                    nanoseconds per call: guest instructions per call
 *                    under -icount shift=0 (CLOCK: a number, e.g. 2 for
 *                    CLOCK_PROCESS_CPUTIME_ID, 1 for CLOCK_MONOTONIC)
 * vdso-clocks bench-syscall CLOCK N
 *                    the same with syscall(SYS_clock_gettime), not the vDSO
 * vdso-clocks vdso-calls
 *                    how often glibc enters the vDSO's clock_gettime and
 *                    clock_getres for each clock: one line "NAME vdso=N"
 *                    per call, in a fixed order.  A KML task's glibc makes
 *                    the system call itself for the CPU-time clocks (0),
 *                    every other process calls the vDSO for every clock (1)
 *
 * Built 64-bit and -m32 (i686).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOCK_TAI
#define CLOCK_TAI 11
#endif

static int failures;

static void result(const char *name, const char *why)
{
	if (why) {
		printf("%s FAIL: %s\n", name, why);
		failures++;
	} else {
		printf("%s ok\n", name);
	}
}

static volatile unsigned long sink;

/* Some CPU time, so that the CPU clocks move. */
static void spin(void)
{
	for (unsigned long i = 0; i < 2000000; i++)
		sink += i;
}

static int ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

static int ts_le(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/*
 * clock_gettime twice with work in between: valid, and not going back.
 * The alarm clocks need an RTC device: without one they fail with EINVAL,
 * which is an answer of the kernel as good as a time (may_einval).
 */
/*
 * The result of a call that failed (errno): ok when EINVAL may be the
 * answer, else a failure that names the call.
 */
static void call_failed(const char *name, const char *call, int may_einval)
{
	char why[128];

	if (may_einval && errno == EINVAL) {
		result(name, NULL);
		return;
	}
	snprintf(why, sizeof(why), "%s: %s", call, strerror(errno));
	result(name, why);
}

static void check_gettime(const char *name, clockid_t clock, int may_einval)
{
	struct timespec a, b;

	if (clock_gettime(clock, &a) != 0) {
		call_failed(name, "clock_gettime", may_einval);
		return;
	}
	spin();
	if (clock_gettime(clock, &b) != 0) {
		call_failed(name, "second clock_gettime", 0);
		return;
	}
	if (!ts_valid(&a) || !ts_valid(&b)) {
		result(name, "not a valid timespec");
		return;
	}
	if (clock != CLOCK_REALTIME && clock != CLOCK_REALTIME_COARSE &&
	    clock != CLOCK_TAI && !ts_le(&a, &b)) {
		result(name, "went back");
		return;
	}
	result(name, NULL);
}

static void check_getres(const char *name, clockid_t clock, int may_einval)
{
	struct timespec res;

	if (clock_getres(clock, &res) != 0) {
		call_failed(name, "clock_getres", may_einval);
		return;
	}
	if (!ts_valid(&res) || res.tv_sec > 1 ||
	    (res.tv_sec == 0 && res.tv_nsec == 0)) {
		result(name, "not a resolution");
		return;
	}
	result(name, NULL);
}

static pthread_barrier_t checked;

/* A thread that uses CPU time and lives until its clock is checked */
static void *spinner(void *arg)
{
	(void)arg;
	spin();
	pthread_barrier_wait(&checked);
	return NULL;
}

static int maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long kml_end = 0, vvar_start = 0, start, end;
	char line[512];
	int kml = 0;

	if (!f) {
		perror("/proc/self/maps");
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		if (strstr(line, "[kml]")) {
			kml = 1;
			kml_end = end;
		} else if (strstr(line, "[vvar]")) {
			vvar_start = start;
		}
	}
	fclose(f);
	if (!kml)
		puts("no [kml]");
	else if (kml_end == vvar_start)
		puts("[kml] below [vvar]");
	else
		puts("[kml] elsewhere");
	return 0;
}

static int bench(clockid_t clock, long n, int raw)
{
	struct timespec a, b, ts;

	clock_gettime(CLOCK_MONOTONIC, &a);
	if (raw) {
		for (long i = 0; i < n; i++)
			syscall(SYS_clock_gettime, clock, &ts);
	} else {
		for (long i = 0; i < n; i++)
			clock_gettime(clock, &ts);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f ns per call\n",
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}

/*
 * vdso-calls: every vDSO function that glibc calls for clock_gettime and
 * clock_getres gets a jump to a counting replacement at its entry.  glibc
 * keeps the functions' addresses (GLRO(dl_vdso_clock_gettime64) etc.),
 * resolved at start-up, so the jump must be in the vDSO's text: made
 * writable with mprotect, as debuggers write their breakpoints there (the
 * mapping may be written, copy-on-write).  The replacements make the
 * system call through glibc's syscall() and return what the vDSO would:
 * 0 or -errno.
 */
/* volatile: the replacements run from code the compiler does not see */
static volatile unsigned long vdso_entered;

static long vdso_result(long r)
{
	vdso_entered++;
	return r == -1 ? -errno : r;
}

static int vdso_gettime(clockid_t clock, void *ts)
{
	return vdso_result(syscall(SYS_clock_gettime, clock, ts));
}

static int vdso_getres(clockid_t clock, void *ts)
{
	return vdso_result(syscall(SYS_clock_getres, clock, ts));
}

#if defined(__i386__)
static int vdso_gettime64(clockid_t clock, void *ts)
{
	return vdso_result(syscall(SYS_clock_gettime64, clock, ts));
}

static int vdso_getres64(clockid_t clock, void *ts)
{
	return vdso_result(syscall(SYS_clock_getres_time64, clock, ts));
}
#endif

static const struct vdso_hook {
	const char *name;
	void *replacement;
	int optional;		/* not in every kernel's vDSO */
} vdso_hooks[] = {
	{ "__vdso_clock_gettime", vdso_gettime, 0 },
	{ "__vdso_clock_getres", vdso_getres, 0 },
#if defined(__i386__)
	{ "__vdso_clock_gettime64", vdso_gettime64, 0 },
	{ "__vdso_clock_getres_time64", vdso_getres64, 1 },
#endif
};

/* NAME's address in the vDSO at BASE, or NULL; its size in *SIZE */
static unsigned char *vdso_sym(const unsigned char *base, const char *name,
			       size_t *size)
{
	const ElfW(Ehdr) *eh = (const void *)base;
	const ElfW(Phdr) *ph = (const void *)(base + eh->e_phoff);
	const ElfW(Shdr) *sh = (const void *)(base + eh->e_shoff);
	uintptr_t bias = (uintptr_t)base;

	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			bias = (uintptr_t)base - ph[i].p_vaddr;
			break;
		}
	for (int i = 0; i < eh->e_shnum; i++) {
		const ElfW(Sym) *sym;
		const char *str;
		size_t n;

		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		sym = (const void *)(base + sh[i].sh_offset);
		str = (const char *)base + sh[sh[i].sh_link].sh_offset;
		n = sh[i].sh_size / sizeof(*sym);
		for (size_t j = 0; j < n; j++)
			if (sym[j].st_shndx != SHN_UNDEF &&
			    strcmp(str + sym[j].st_name, name) == 0) {
				*size = sym[j].st_size;
				return (unsigned char *)(bias + sym[j].st_value);
			}
	}
	return NULL;
}

/* Jump from AT to TARGET: movabs/mov TARGET, %rax/%eax; jmp *%rax/%eax */
static size_t put_jump(unsigned char *at, void *target)
{
	uintptr_t t = (uintptr_t)target;
	size_t n = 0;

#if defined(__x86_64__)
	at[n++] = 0x48;
#endif
	at[n++] = 0xb8;
	memcpy(at + n, &t, sizeof(t));
	n += sizeof(t);
	at[n++] = 0xff;
	at[n++] = 0xe0;
	return n;
}

static int hook_vdso(void)
{
	unsigned char *base = (unsigned char *)getauxval(AT_SYSINFO_EHDR);
	const ElfW(Ehdr) *eh = (const void *)base;
	const ElfW(Phdr) *ph;
	uintptr_t start = 0, end = 0;
	long page = sysconf(_SC_PAGESIZE);

	if (!base) {
		puts("no vDSO");
		return 1;
	}
	ph = (const void *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			start = (uintptr_t)base & -page;
			end = ((uintptr_t)base + ph[i].p_memsz + page - 1) & -page;
			break;
		}
	if (!end || mprotect((void *)start, end - start,
			     PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
		printf("vDSO not writable: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(vdso_hooks) / sizeof(vdso_hooks[0]); i++) {
		const struct vdso_hook *hook = &vdso_hooks[i];
		unsigned char jump[16];
		unsigned char *at;
		size_t size = 0;

		at = vdso_sym(base, hook->name, &size);
		if (!at) {
			if (hook->optional)
				continue;
			printf("%s not in the vDSO\n", hook->name);
			return 1;
		}
		if (put_jump(jump, NULL) > size) {
			printf("%s too short for a jump\n", hook->name);
			return 1;
		}
		put_jump(at, hook->replacement);
	}
	/* Executable again, not writable: the vDSO as before */
	if (mprotect((void *)start, end - start, PROT_READ | PROT_EXEC) != 0) {
		printf("mprotect: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/* One line: how often CALL entered the vDSO's clock functions */
#define VDSO_CALLS(name, call)						\
	do {								\
		vdso_entered = 0;					\
		(void)(call);						\
		printf("%s vdso=%lu\n", name, vdso_entered);		\
	} while (0)

static int vdso_calls(void)
{
	clockid_t thread_clock, process_clock;
	struct timespec ts;

	if (pthread_getcpuclockid(pthread_self(), &thread_clock) != 0 ||
	    clock_getcpuclockid(getpid(), &process_clock) != 0) {
		puts("no CPU clock ids");
		return 1;
	}
	if (hook_vdso() != 0)
		return 1;
	VDSO_CALLS("clock", clock());
	VDSO_CALLS("gettime-process-cputime",
		   clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts));
	VDSO_CALLS("gettime-thread-cputime",
		   clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts));
	VDSO_CALLS("gettime-own-pthread-cpuclock",
		   clock_gettime(thread_clock, &ts));
	VDSO_CALLS("gettime-pid-cpuclock", clock_gettime(process_clock, &ts));
	VDSO_CALLS("gettime-monotonic", clock_gettime(CLOCK_MONOTONIC, &ts));
	VDSO_CALLS("gettime-boottime-alarm",
		   clock_gettime(CLOCK_BOOTTIME_ALARM, &ts));
	VDSO_CALLS("getres-process-cputime",
		   clock_getres(CLOCK_PROCESS_CPUTIME_ID, &ts));
	VDSO_CALLS("getres-thread-cputime",
		   clock_getres(CLOCK_THREAD_CPUTIME_ID, &ts));
	VDSO_CALLS("getres-own-pthread-cpuclock",
		   clock_getres(thread_clock, &ts));
	VDSO_CALLS("getres-pid-cpuclock", clock_getres(process_clock, &ts));
	VDSO_CALLS("getres-monotonic", clock_getres(CLOCK_MONOTONIC, &ts));
	VDSO_CALLS("getres-boottime-alarm",
		   clock_getres(CLOCK_BOOTTIME_ALARM, &ts));
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec rt, tai;
	struct timeval tv;
	clockid_t thread_clock, process_clock;
	pthread_t thread;
	clock_t c1, c2;
	time_t t;
	int err;

	if (argc == 2 && strcmp(argv[1], "maps") == 0)
		return maps();
	if (argc == 2 && strcmp(argv[1], "vdso-calls") == 0)
		return vdso_calls();
	if (argc == 4 && strncmp(argv[1], "bench", 5) == 0 && atol(argv[3]) > 0)
		return bench(atoi(argv[2]), atol(argv[3]),
			     strcmp(argv[1], "bench-syscall") == 0);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [maps | vdso-calls | bench[-syscall] CLOCK N]\n",
			argv[0]);
		return 2;
	}

	/* clock(): CLOCK_PROCESS_CPUTIME_ID */
	c1 = clock();
	spin();
	c2 = clock();
	result("clock", c1 == (clock_t)-1 || c2 == (clock_t)-1 ? "failed" :
			c2 < c1 ? "went back" : NULL);

	check_gettime("gettime-process-cputime", CLOCK_PROCESS_CPUTIME_ID, 0);
	check_gettime("gettime-thread-cputime", CLOCK_THREAD_CPUTIME_ID, 0);

	/* Another thread's CPU clock, our own thread's and our process's */
	pthread_barrier_init(&checked, NULL, 2);
	err = pthread_create(&thread, NULL, spinner, NULL);
	if (err) {
		result("gettime-pthread-cpuclock", strerror(err));
	} else {
		err = pthread_getcpuclockid(thread, &thread_clock);
		if (err)
			result("gettime-pthread-cpuclock", strerror(err));
		else
			check_gettime("gettime-pthread-cpuclock", thread_clock, 0);
		pthread_barrier_wait(&checked);
		pthread_join(thread, NULL);
	}
	err = pthread_getcpuclockid(pthread_self(), &thread_clock);
	if (err)
		result("gettime-own-pthread-cpuclock", strerror(err));
	else
		check_gettime("gettime-own-pthread-cpuclock", thread_clock, 0);
	err = clock_getcpuclockid(getpid(), &process_clock);
	if (err)
		result("gettime-pid-cpuclock", strerror(err));
	else
		check_gettime("gettime-pid-cpuclock", process_clock, 0);

	check_gettime("gettime-tai", CLOCK_TAI, 0);
	check_gettime("gettime-boottime-alarm", CLOCK_BOOTTIME_ALARM, 1);
	check_gettime("gettime-realtime-alarm", CLOCK_REALTIME_ALARM, 1);
	/* The vDSO's own clocks: system calls without a vDSO clocksource */
	check_gettime("gettime-realtime", CLOCK_REALTIME, 0);
	check_gettime("gettime-monotonic", CLOCK_MONOTONIC, 0);
	check_gettime("gettime-boottime", CLOCK_BOOTTIME, 0);
	check_gettime("gettime-monotonic-raw", CLOCK_MONOTONIC_RAW, 0);
	check_gettime("gettime-realtime-coarse", CLOCK_REALTIME_COARSE, 0);
	check_gettime("gettime-monotonic-coarse", CLOCK_MONOTONIC_COARSE, 0);

	check_getres("getres-process-cputime", CLOCK_PROCESS_CPUTIME_ID, 0);
	check_getres("getres-thread-cputime", CLOCK_THREAD_CPUTIME_ID, 0);
	check_getres("getres-pid-cpuclock", process_clock, 0);
	check_getres("getres-tai", CLOCK_TAI, 0);
	check_getres("getres-boottime-alarm", CLOCK_BOOTTIME_ALARM, 1);
	check_getres("getres-realtime", CLOCK_REALTIME, 0);
	check_getres("getres-monotonic-raw", CLOCK_MONOTONIC_RAW, 0);

	/* TAI is CLOCK_REALTIME plus the TAI offset (0 unless set). */
	if (clock_gettime(CLOCK_REALTIME, &rt) != 0 ||
	    clock_gettime(CLOCK_TAI, &tai) != 0)
		result("tai-near-realtime", strerror(errno));
	else
		result("tai-near-realtime",
		       tai.tv_sec - rt.tv_sec < 0 || tai.tv_sec - rt.tv_sec > 100 ?
		       "too far" : NULL);

	/* time() and gettimeofday() go to the vDSO through their IFUNCs. */
	t = time(NULL);
	if (t == (time_t)-1 || clock_gettime(CLOCK_REALTIME, &rt) != 0)
		result("time", "failed");
	else
		result("time", rt.tv_sec - t < 0 || rt.tv_sec - t > 2 ?
				"not CLOCK_REALTIME" : NULL);
	if (gettimeofday(&tv, NULL) != 0)
		result("gettimeofday", strerror(errno));
	else
		result("gettimeofday",
		       tv.tv_usec < 0 || tv.tv_usec >= 1000000 ||
		       tv.tv_sec - t < 0 || tv.tv_sec - t > 2 ?
		       "not CLOCK_REALTIME" : NULL);

	return failures ? 1 : 0;
}

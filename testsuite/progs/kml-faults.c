/* kml-faults: faults of a trusted program must end as they end at CPL3
   (issue 13): the same signal, si_code and si_addr, or the same output,
   and never an oops, a hang or a panic.

   Usage: kml-faults CASE...   run each CASE
	  kml-faults all       run every case of this build
	  kml-faults list      print the case names

   The testsuite (kml.kernel/faults.exp) runs the same binary from /trusted
   (kernel mode under KML) and from /usr/bin and compares what each case
   prints.  Each case runs in a child process of its own, so that a case
   that kills its process still leaves a line ("CASE: killed by SIGxxx")
   and the cases after it run.  A caught signal prints
   "CASE: SIGxxx code=CODE addr=ADDR if=IF" from a handler on a
   sigaltstack, IF being the interrupt flag the handler runs with (always
   1 at CPL3), and ends the process.  Addresses are printed relative to
   the case's own labels or at fixed mappings, never as stack or library
   addresses, which differ from run to run.

   Build it non-PIE (addresses of its code are then the same in every
   run) and with -mno-red-zone: some cases call the KML entry, which
   writes below RSP.  Built with -m32 it has the IA-32 cases.  */

#define _GNU_SOURCE
#include <asm/ldt.h>
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef __x86_64__
# include "wait-sleeping.h"	/* case 6 only */
#endif

#define X86_EFLAGS_TF 0x0100UL
#define X86_EFLAGS_IF 0x0200UL

/* Where cases map pages at fixed addresses (below 4 GiB for IA-32), so
   that a fault address is the same in every run: FIXED_HOLE is left
   unmapped, the page above it is mapped.  */
#define FIXED_HOLE 0x5a000000UL
#define PAGE 4096UL

static const char *case_name;

/* Output: write(2) of a formatted line, usable in a signal handler of a
   process that then ends (nothing here is interrupted by the faults the
   cases cause).  */
static void
say (const char *fmt, ...)
{
  char line[512];
  va_list ap;
  int len;

  va_start (ap, fmt);
  len = vsnprintf (line, sizeof line, fmt, ap);
  va_end (ap);
  if (len > (int) sizeof line - 1)
    len = sizeof line - 1;
  if (write (1, line, len) != len)
    _exit (3);
}

static unsigned long
read_flags (void)
{
  unsigned long flags;

  asm volatile ("pushf\n\tpop %0" : "=r" (flags));
  return flags;
}

static const char *
signal_name (int sig)
{
  static char other[16];

  switch (sig)
    {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGALRM: return "SIGALRM";
    case SIGABRT: return "SIGABRT";
    }
  snprintf (other, sizeof other, "signal %d", sig);
  return other;
}

static const char *
code_name (int sig, int code)
{
  static char other[16];

  if (code == SI_KERNEL)
    return "SI_KERNEL";
  if (code == SI_USER)
    return "SI_USER";
  if (sig == SIGSEGV && code == SEGV_MAPERR)
    return "SEGV_MAPERR";
  if (sig == SIGSEGV && code == SEGV_ACCERR)
    return "SEGV_ACCERR";
  if (sig == SIGTRAP && code == TRAP_BRKPT)
    return "TRAP_BRKPT";
  if (sig == SIGTRAP && code == TRAP_TRACE)
    return "TRAP_TRACE";
  if (sig == SIGTRAP && code == TRAP_HWBKPT)
    return "TRAP_HWBKPT";
  snprintf (other, sizeof other, "%d", code);
  return other;
}

/* Labels an address may be printed relative to: code labels of the case
   and FIXED_HOLE.  */
struct label
{
  const char *name;
  unsigned long addr;
};

static struct label labels[16];
static int nlabels;

static void
add_label (const char *name, const void *addr)
{
  labels[nlabels].name = name;
  labels[nlabels].addr = (unsigned long) addr;
  nlabels++;
}

/* ADDR as "0", "LABEL", "LABEL+0xN" or "LABEL-0xN" (the nearest label,
   within a page) or hex.  */
static const char *
addr_name (unsigned long addr)
{
  static char name[64];
  unsigned long best_dist = PAGE + 1;
  int i, best = -1;

  if (addr == 0)
    return "0";
  for (i = 0; i < nlabels; i++)
    {
      unsigned long label = labels[i].addr;
      unsigned long dist = addr > label ? addr - label : label - addr;

      if (dist < best_dist)
	{
	  best_dist = dist;
	  best = i;
	}
    }
  if (best < 0)
    snprintf (name, sizeof name, "%#lx", addr);
  else if (best_dist == 0)
    snprintf (name, sizeof name, "%s", labels[best].name);
  else
    snprintf (name, sizeof name, "%s%c%#lx", labels[best].name,
	      addr > labels[best].addr ? '+' : '-', best_dist);
  return name;
}

/* The handler of a signal that ends the case: what was caught, then exit.
   IF is read from the handler's own flags.  */
static void
report_signal (int sig, siginfo_t *info, void *ucontext)
{
  (void) ucontext;
  say ("%s: %s code=%s addr=%s if=%d\n", case_name, signal_name (sig),
       code_name (sig, info->si_code),
       addr_name ((unsigned long) info->si_addr),
       (read_flags () & X86_EFLAGS_IF) != 0);
  _exit (0);
}

/* A handler on the sigaltstack: most cases leave no usable stack.  */
static void
handle (int sig, void (*handler) (int, siginfo_t *, void *), int flags)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | flags;
  sigemptyset (&sa.sa_mask);
  if (sigaction (sig, &sa, NULL) != 0)
    {
      say ("%s: sigaction: %s\n", case_name, strerror (errno));
      _exit (2);
    }
}

static void
report_fatal_signals (void)
{
  static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE };
  unsigned i;

  for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    handle (sigs[i], report_signal, 0);
}

static void __attribute__ ((noreturn))
setup_failed (const char *what)
{
  say ("%s: setup failed: %s: %s\n", case_name, what, strerror (errno));
  _exit (2);
}

/* Map FIXED_HOLE and the page above it, then unmap FIXED_HOLE: a fault
   there is SEGV_MAPERR at a known address.  Returns the hole.  */
static char *
map_above_hole (void)
{
  char *map = mmap ((void *) FIXED_HOLE, 2 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

  if (map != (char *) FIXED_HOLE)
    setup_failed ("mmap at FIXED_HOLE");
  if (munmap (map, PAGE) != 0)
    setup_failed ("munmap");
  add_label ("hole", map);
  return map;
}

/* The KML entry (AT_SYSINFO) of a 64-bit KML task, or 0: other 64-bit
   tasks get none.  An IA-32 task always gets one: the KML entry, or the
   vDSO's __kernel_vsyscall outside /trusted.  */
static unsigned long
sysinfo (void)
{
  return getauxval (AT_SYSINFO);
}

/* Case 1: sigreturn to odd selectors.  A SIGUSR1 handler rewrites CS and
   SS of its frame and sends the return to resumed() on a stack of its
   own; sigreturn then either resumes there ("resumed") or fails, and the
   SIGSEGV it causes is caught.  At CPL3 a valid DPL3 data segment (a TLS
   or an LDT one) is a valid SS, and an absent one makes the IRET fail;
   a KML task can only be refused what has no kernel twin, with a
   SIGSEGV (faults.exp accepts that instead of "resumed" where CPL3
   resumes).  The selectors that `mov %cs' and `mov %ss' read (the
   kernel's at CPL0) must work in both places: sigreturn_64/_32 of the
   kernel's selftests use them.  */

static unsigned short new_cs, new_ss;
static char resume_stack[16384] __attribute__ ((aligned (16)));

static void __attribute__ ((noreturn, used))
resumed (void)
{
  say ("%s: resumed\n", case_name);
  _exit (0);
}

/* The top of resume_stack as a called function would find it.  */
static unsigned long
resume_sp (void)
{
  return (unsigned long) (resume_stack + sizeof resume_stack) - sizeof (long);
}

#ifdef __x86_64__
struct selectors
{
  unsigned short cs, gs, fs, ss;
};

static void
rewrite_frame (int sig, siginfo_t *info, void *ucontext)
{
  ucontext_t *uc = ucontext;
  struct selectors *sel = (void *) &uc->uc_mcontext.gregs[REG_CSGSFS];

  (void) sig;
  (void) info;
  if (new_cs != 0)
    sel->cs = new_cs;
  if (new_ss != 0)
    sel->ss = new_ss;
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t) resumed;
  uc->uc_mcontext.gregs[REG_RSP] = resume_sp ();
  /* Not RIP: the return must not qualify for SYSRET or the KML fast exit,
     which return to __USER_CS and __USER_DS only.  */
  uc->uc_mcontext.gregs[REG_RCX] = 0;
}

static void
sigreturn_with (unsigned short cs, unsigned short ss)
{
  new_cs = cs;
  new_ss = ss;
  report_fatal_signals ();
  handle (SIGUSR1, rewrite_frame, 0);
  raise (SIGUSR1);
  say ("%s: raise returned\n", case_name);
}
#else
/* IA-32: the non-rt frame of a handler without SA_SIGINFO, returned from
   by sigreturn (not rt_sigreturn).  Its struct sigcontext follows the
   signal number argument on the stack, which C cannot name: rewrite_frame
   passes its address to rewrite_sigcontext, keeping the stack aligned to
   16 bytes at the call as the handler found it at its own.  */
static void __attribute__ ((used))
rewrite_sigcontext (struct sigcontext *sc)
{
  if (new_cs != 0)
    sc->cs = new_cs;
  if (new_ss != 0)
    sc->ss = new_ss;
  sc->eip = (unsigned long) resumed;
  sc->esp = resume_sp ();
}

asm (".pushsection .text\n"
     ".type rewrite_frame, @function\n"
     "rewrite_frame:\n\t"
     "leal 8(%esp), %eax\n\t"
     "subl $8, %esp\n\t"
     "pushl %eax\n\t"
     "call rewrite_sigcontext\n\t"
     "addl $12, %esp\n\t"
     "ret\n"
     ".size rewrite_frame, . - rewrite_frame\n"
     ".popsection");
extern void rewrite_frame (int sig);

static void
sigreturn_with (unsigned short cs, unsigned short ss)
{
  struct sigaction sa;

  new_cs = cs;
  new_ss = ss;
  report_fatal_signals ();
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = rewrite_frame;
  sigemptyset (&sa.sa_mask);
  if (sigaction (SIGUSR1, &sa, NULL) != 0)
    setup_failed ("sigaction");
  raise (SIGUSR1);
  say ("%s: raise returned\n", case_name);
}
#endif

/* A flat 32-bit writable data segment, DPL3: a valid SS at CPL3.  */
static void
flat_data_segment (struct user_desc *desc, int entry)
{
  memset (desc, 0, sizeof *desc);
  desc->entry_number = entry;
  desc->base_addr = 0;
  desc->limit = 0xfffff;
  desc->seg_32bit = 1;
  desc->contents = 0;		/* data, expand-up */
  desc->read_exec_only = 0;
  desc->limit_in_pages = 1;
  desc->seg_not_present = 0;
  desc->useable = 1;
}

/* set_thread_area: an IA-32 system call, which 64-bit code reaches by
   int $0x80 (243 in that table) with DESC below 4 GiB.  */
static long
set_thread_area (struct user_desc *desc)
{
#ifdef __x86_64__
  long ret;

  asm volatile ("int $0x80" : "=a" (ret)
		: "0" (243L), "b" ((unsigned long) desc)
		: "r8", "r9", "r10", "r11", "memory");
  if (ret < 0)
    {
      errno = -ret;
      return -1;
    }
  return ret;
#else
  return syscall (SYS_set_thread_area, desc);
#endif
}

static void
case_sigreturn_tls_ss (void)
{
  /* Static: below 4 GiB in a non-PIE program.  */
  static struct user_desc desc;

  flat_data_segment (&desc, -1);
  if (set_thread_area (&desc) != 0)
    setup_failed ("set_thread_area");
  sigreturn_with (0, desc.entry_number << 3 | 3);
}

/* LDT entry 0, the selector's TI bit set.  */
static unsigned short
ldt_data_selector (void)
{
  struct user_desc desc;

  flat_data_segment (&desc, 0);
  if (syscall (SYS_modify_ldt, 1, &desc, sizeof desc) != 0)
    setup_failed ("modify_ldt");
  return 0 << 3 | 4 | 3;
}

static void
case_sigreturn_ldt_ss (void)
{
  sigreturn_with (0, ldt_data_selector ());
}

/* An LDT selector past the LDT's end: the IRET fails at CPL3.  */
static void
case_sigreturn_absent_ss (void)
{
  ldt_data_selector ();
  sigreturn_with (0, 8 << 3 | 4 | 3);
}

static void
case_sigreturn_read_selectors (void)
{
  unsigned short cs, ss;

  asm volatile ("mov %%cs, %0\n\tmov %%ss, %1" : "=r" (cs), "=r" (ss));
  sigreturn_with (cs, ss);
}

/* Case 3: `int $N'.  At CPL3 a gate of DPL0 gives #GP, SIGSEGV; the DPL3
   gates (3: SIGTRAP, 4: SIGSEGV) run their handler.  At CPL0 the DPL does
   not stop the software interrupt, so the handler of an exception with an
   error code finds a frame without one, and an interrupt vector's handler
   runs without an interrupt: 88 is unused (stress-ng's sigsegv stressor
   uses it), 236 is the local APIC timer's.  */

#define INT_VECTORS(X) \
  X (1) X (3) X (4) X (5) X (8) X (10) X (11) X (12) X (13) X (14) \
  X (17) X (21) X (29) X (30) X (88) X (236)

static void
software_interrupt (int vector)
{
  report_fatal_signals ();
  switch (vector)
    {
#define INT_CASE(n) case n: asm volatile ("int $" #n ::: "memory"); break;
      INT_VECTORS (INT_CASE)
#undef INT_CASE
    }
  say ("%s: no signal\n", case_name);
}

/* Case 4: single steps.  Each sequence below sets TF with popf, runs a
   nop, the instruction at NAME_1 (a nop, a system call or a call of the
   KML entry), a nop at NAME_2 (the return address) and clears TF again
   at NAME_3; NAME_4 is its ret.  The SIGTRAP handler records where each
   trap was, printed relative to those labels.  */

enum { MAX_TRAPS = 32 };
static volatile int traps;
static volatile unsigned long trap_ip[MAX_TRAPS];
static volatile int trap_code[MAX_TRAPS];

#ifdef __x86_64__
# define REG_PC REG_RIP
# define TF_ON "pushfq; orq $0x100, (%rsp); popfq\n\t"
# define TF_OFF "pushfq; andq $~0x100, (%rsp); popfq\n\t"
/* getppid: 110 for the syscall instruction, 64 for int $0x80.  */
# define GETPPID_SETUP "movl $110, %eax\n\t"
# define GETPPID_SYSCALL "syscall"
#else
# define REG_PC REG_EIP
# define TF_ON "pushfl; orl $0x100, (%esp); popfl\n\t"
# define TF_OFF "pushfl; andl $~0x100, (%esp); popfl\n\t"
# define GETPPID_SETUP "movl $64, %eax\n\t"
# define GETPPID_SYSCALL "int $0x80"
#endif

/* A function of one argument (the entry, for step_direct): SETUP, then
   the stepped part around INSN.  It uses only registers the caller does
   not expect to be kept.  */
#define STEP_SEQUENCE(name, setup, insn) \
  asm (".pushsection .text\n" \
       ".globl " #name "\n" \
       ".type " #name ", @function\n" \
       #name ":\n\t" \
       setup \
       TF_ON \
       "nop\n" \
       #name "_1:\t" insn "\n" \
       #name "_2:\tnop\n" \
       #name "_3:\t" TF_OFF \
       #name "_4:\tret\n" \
       ".size " #name ", . - " #name "\n" \
       ".popsection")

#define STEP_LABELS(name) \
  extern void name (unsigned long entry); \
  extern const char name##_1[], name##_2[], name##_3[], name##_4[]

STEP_SEQUENCE (step_plain, "", "nop");
STEP_LABELS (step_plain);
STEP_SEQUENCE (step_syscall, GETPPID_SETUP, GETPPID_SYSCALL);
STEP_LABELS (step_syscall);
#ifdef __x86_64__
STEP_SEQUENCE (step_direct, "movq %rdi, %r11\n\t" GETPPID_SETUP,
	       "call *%r11");
STEP_LABELS (step_direct);
#endif

static void
record_trap (int sig, siginfo_t *info, void *ucontext)
{
  ucontext_t *uc = ucontext;

  (void) sig;
  if (traps < MAX_TRAPS)
    {
      trap_ip[traps] = uc->uc_mcontext.gregs[REG_PC];
      trap_code[traps] = info->si_code;
    }
  traps++;
}

#define SINGLE_STEP(name, arg) \
  single_step (name, arg, name##_1, name##_2, name##_3, name##_4)

static void
single_step (void (*sequence) (unsigned long), unsigned long arg,
	     const char *l1, const char *l2, const char *l3, const char *l4)
{
  char line[512] = "";
  int i, len = 0;

  report_fatal_signals ();
  handle (SIGTRAP, record_trap, 0);
  add_label ("insn", l1);
  add_label ("ret", l2);
  add_label ("tf_off", l3);
  add_label ("end", l4);
  sequence (arg);
  for (i = 0; i < traps && i < MAX_TRAPS; i++)
    len += snprintf (line + len, sizeof line - len, " %s/%s",
		     addr_name (trap_ip[i]),
		     code_name (SIGTRAP, trap_code[i]));
  say ("%s: %d SIGTRAP:%s%s\n", case_name, traps, line,
       (read_flags () & X86_EFLAGS_TF) ? " (TF still set)" : "");
}

static void
case_step_plain (void)
{
  SINGLE_STEP (step_plain, 0);
}

static void
case_step_syscall (void)
{
  SINGLE_STEP (step_syscall, 0);
}

#ifdef __x86_64__
/* A direct call from /trusted; outside, the same steps with the syscall
   instruction.  At CPL3 the kernel returns from that by IRET with TF
   set, so the next trap comes after the instruction at the return
   address, not at it.  The direct call must trap the same way, or once
   more at the return address as a stepped call of a function would
   (faults.exp accepts both); never in kernel text, never twice at the
   call.  */
static void
case_step_direct (void)
{
  unsigned long entry = sysinfo ();

  if (entry != 0)
    SINGLE_STEP (step_direct, entry);
  else
    SINGLE_STEP (step_syscall, 0);
}
#endif

extern const char after_icebp[];

/* INT1 (icebp): a trap, SIGTRAP at CPL3.  */
static void
case_icebp (void)
{
  report_fatal_signals ();
  add_label ("after_icebp", after_icebp);
  asm volatile (".byte 0xf1\n"
		".globl after_icebp\n"
		"after_icebp:\n\tnop" ::: "memory");
  say ("%s: no signal\n", case_name);
}

#ifdef __x86_64__
/* Case 2: the direct entry reached by a jump, with RSP at an unmapped
   page: the entry's read of its return address faults, which must be the
   task's SIGSEGV at that address.  Outside there is no entry; a `ret'
   with the same RSP reads the same slot, and faults the same way at
   CPL3.  */
static void
case_entry_jump_bad_rsp (void)
{
  unsigned long entry = sysinfo ();
  char *hole = map_above_hole ();

  report_fatal_signals ();
  if (entry != 0)
    {
      /* Set only here: calls clobber R11.  */
      register unsigned long r11 __asm__ ("r11") = entry;

      asm volatile ("movq %0, %%rsp\n\tjmp *%%r11"
		    :: "r" (hole), "r" (r11), "a" ((long) SYS_getppid)
		    : "memory");
    }
  else
    asm volatile ("movq %0, %%rsp\n\tret" :: "r" (hole) : "memory");
  say ("%s: no signal\n", case_name);
}

/* Case 5: rt_sigreturn (through the direct entry from /trusted) to a
   context whose RCX is its RIP and R11 its RFLAGS, the registers that
   make SYSRET and the KML fast exit eligible: the restored RFLAGS must
   arrive.  The context is built by hand, at RSP, where rt_sigreturn
   looks for it.  */

/* CF, ZF, SF and OF set, PF and AF clear, IF.  */
#define SIGRETURN_FLAGS 0xac3UL
#define ARITH_FLAGS 0x8d5UL

static char flags_stack[16384] __attribute__ ((aligned (16)));
static ucontext_t flags_context __attribute__ ((aligned (16)));

static void __attribute__ ((noreturn, used))
report_flags (unsigned long flags)
{
  say ("%s: rflags %#lx\n", case_name,
       flags & (ARITH_FLAGS | X86_EFLAGS_IF | X86_EFLAGS_TF | 0x400));
  _exit (0);
}

/* Where rt_sigreturn returns: the flags as they arrived.  */
asm (".pushsection .text\n"
     ".type flags_landing, @function\n"
     "flags_landing:\n\t"
     "pushfq\n\t"
     "popq %rdi\n\t"
     "andq $-16, %rsp\n\t"
     "call report_flags\n\t"
     "ud2\n"
     ".size flags_landing, . - flags_landing\n"
     ".popsection");
extern const char flags_landing[];

static void
case_sigreturn_flags (void)
{
  ucontext_t *uc = &flags_context;
  struct selectors *sel = (void *) &uc->uc_mcontext.gregs[REG_CSGSFS];
  unsigned long entry = sysinfo ();
  register unsigned long r11 __asm__ ("r11");

  report_fatal_signals ();
  memset (uc, 0, sizeof *uc);
  /* UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS: SS as given.  */
  uc->uc_flags = 0x2 | 0x4;
  if (sigaltstack (NULL, &uc->uc_stack) != 0
      || sigprocmask (SIG_BLOCK, NULL, &uc->uc_sigmask) != 0)
    setup_failed ("sigaltstack or sigprocmask");
  /* The user selectors: what a KML task's signal frame holds too.  */
  sel->cs = 0x33;
  sel->ss = 0x2b;
  uc->uc_mcontext.gregs[REG_RIP] = (greg_t) flags_landing;
  uc->uc_mcontext.gregs[REG_RCX] = (greg_t) flags_landing;
  uc->uc_mcontext.gregs[REG_EFL] = SIGRETURN_FLAGS;
  uc->uc_mcontext.gregs[REG_R11] = SIGRETURN_FLAGS;
  uc->uc_mcontext.gregs[REG_RSP] =
    (greg_t) (flags_stack + sizeof flags_stack);
  /* No fpregs: the FPU state is reset.  R11 is set only here: calls
     clobber it.  */
  r11 = entry;
  asm volatile ("movq %0, %%rsp\n\t"
		"testq %%r11, %%r11\n\t"
		"jz 1f\n\t"
		"call *%%r11\n\t"
		"ud2\n"
		"1:\tsyscall\n\t"
		"ud2"
		:: "r" (uc), "r" (r11), "a" ((long) SYS_rt_sigreturn)
		: "memory");
}

/* Case 6: a restart of a direct call made by another call site than the
   contract's "call *%r11" (41 ff d3): here the 2-byte "call *%rbx".  A
   read blocked on a pipe gets a SA_RESTART signal; the restart must
   complete the read (outside, the same read by the syscall
   instruction).  */

static volatile int *restart_handled;

static void
note_restart_signal (int sig)
{
  (void) sig;
  *restart_handled = 1;
}

static long
read_by_rbx (unsigned long entry, int fd, void *buf, unsigned long count)
{
  long ret;

  /* The movl before the call ends in a 00 byte: rewinding the call by 3
     bytes lands inside it.  */
  asm volatile ("testq %%rbx, %%rbx\n\t"
		"jz 1f\n\t"
		"movl $0, %%eax\n\t"
		"call *%%rbx\n\t"
		"jmp 2f\n"
		"1:\tmovl $0, %%eax\n\t"
		"syscall\n"
		"2:"
		: "=&a" (ret)
		: "b" (entry), "D" (fd), "S" (buf), "d" (count)
		: "rcx", "r11", "memory", "cc");
  return ret;
}

static void
case_restart_other_call (void)
{
  struct sigaction sa;
  char byte = 0;
  int fds[2];
  pid_t me = getpid (), helper;
  long ret;

  report_fatal_signals ();
  restart_handled = mmap (NULL, sizeof (int), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = note_restart_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset (&sa.sa_mask);
  if (restart_handled == MAP_FAILED || pipe (fds) != 0
      || sigaction (SIGUSR1, &sa, NULL) != 0)
    setup_failed ("mmap, pipe or sigaction");
  helper = fork ();
  if (helper < 0)
    setup_failed ("fork");
  if (helper == 0)
    {
      wait_until_sleeping (me);
      kill (me, SIGUSR1);
      while (!*restart_handled)
	sched_yield ();
      _exit (write (fds[1], "x", 1) == 1 ? 0 : 1);
    }
  ret = read_by_rbx (sysinfo (), fds[0], &byte, 1);
  waitpid (helper, NULL, 0);
  say ("%s: read %ld byte %#x handler %d\n", case_name, ret,
       (unsigned char) byte, *restart_handled);
}

/* Case 7: jumps to non-canonical addresses and into the kernel's half.
   At CPL3 a non-canonical RIP is #GP, SIGSEGV with SI_KERNEL and no
   address; a canonical one the task cannot reach is a page fault,
   SEGV_MAPERR at the address.  0x800000000000 is canonical with 5-level
   paging only (faults.exp runs these cases with and without LA57);
   0x100000000000000 is non-canonical with either.  */
static void
jump_to (unsigned long target)
{
  report_fatal_signals ();
  asm volatile ("jmp *%0" :: "r" (target) : "memory");
}

static void
case_jump_0x800000000000 (void)
{
  jump_to (0x0000800000000000UL);
}

static void
case_jump_0x100000000000000 (void)
{
  jump_to (0x0100000000000000UL);
}

static void
case_jump_0x8000000000000000 (void)
{
  jump_to (0x8000000000000000UL);
}

/* The start of the kernel's text without KASLR.  */
static void
case_jump_0xffffffff81000000 (void)
{
  jump_to (0xffffffff81000000UL);
}

#else /* !__x86_64__ */

/* Case 8: a fault while the entry's own code pushes onto the stack: the
   call's return address fits above the hole, the entry's first push
   (the [kml] page's, or __kernel_vsyscall's outside) does not.  The
   handler must run as at CPL3, with interrupts enabled.  */
static void
case_entry_push_fault (void)
{
  char *hole = map_above_hole ();

  report_fatal_signals ();
  asm volatile ("movl %0, %%esp\n\t"
		"call *%1"
		:: "r" (hole + PAGE + 4), "r" (sysinfo ()),
		   "a" ((long) SYS_getppid)
		: "memory");
  say ("%s: no signal\n", case_name);
}
#endif

/* Case 9: a call through a null pointer.  The signal frame holds the
   task's own PC (0) and code segment, as at CPL3, so that a handler that
   repairs the PC and returns resumes the task in its own mode.  */
static void
report_frame (int sig, siginfo_t *info, void *ucontext)
{
  const ucontext_t *uc = ucontext;
#ifdef __x86_64__
  unsigned long pc = uc->uc_mcontext.gregs[REG_RIP];
  unsigned int cs = uc->uc_mcontext.gregs[REG_CSGSFS] & 0xffff;
#else
  unsigned long pc = uc->uc_mcontext.gregs[REG_EIP];
  unsigned int cs = uc->uc_mcontext.gregs[REG_CS] & 0xffff;
#endif

  say ("%s: %s code=%s pc=%#lx cs=%#x\n", case_name, signal_name (sig),
       code_name (sig, info->si_code), pc, cs);
  _exit (0);
}

static void
case_call_null (void)
{
  void (*volatile null_function) (void) = 0;

  handle (SIGSEGV, report_frame, 0);
  null_function ();
}

struct fault_case
{
  const char *name;
  void (*run) (void);
  int vector;			/* for the int $N cases */
};

#define INT_ENTRY(n) { "int-" #n, NULL, n },

static const struct fault_case cases[] = {
  { "sigreturn-tls-ss", case_sigreturn_tls_ss, 0 },
  { "sigreturn-ldt-ss", case_sigreturn_ldt_ss, 0 },
  { "sigreturn-absent-ss", case_sigreturn_absent_ss, 0 },
  { "sigreturn-read-selectors", case_sigreturn_read_selectors, 0 },
#ifdef __x86_64__
  { "entry-jump-bad-rsp", case_entry_jump_bad_rsp, 0 },
#endif
  INT_VECTORS (INT_ENTRY)
  { "step-plain", case_step_plain, 0 },
  { "step-syscall", case_step_syscall, 0 },
#ifdef __x86_64__
  { "step-direct", case_step_direct, 0 },
#endif
  { "icebp", case_icebp, 0 },
#ifdef __x86_64__
  { "sigreturn-flags", case_sigreturn_flags, 0 },
  { "restart-other-call", case_restart_other_call, 0 },
  { "jump-0x800000000000", case_jump_0x800000000000, 0 },
  { "jump-0x100000000000000", case_jump_0x100000000000000, 0 },
  { "jump-0x8000000000000000", case_jump_0x8000000000000000, 0 },
  { "jump-0xffffffff81000000", case_jump_0xffffffff81000000, 0 },
#else
  { "entry-push-fault", case_entry_push_fault, 0 },
#endif
  { "call-null", case_call_null, 0 },
};

#define NCASES (sizeof cases / sizeof cases[0])

static char altstack[65536];

/* Run one case in a child.  A case ends its process, or returns after
   printing its line.  The child's fate is reported when it printed
   nothing else: killed by a signal, or no answer in time (SIGALRM).  */
static int
run_case (const struct fault_case *c)
{
  stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
  int status;
  pid_t pid = fork ();

  if (pid < 0)
    {
      perror ("kml-faults: fork");
      return 2;
    }
  if (pid == 0)
    {
      case_name = c->name;
      /* A case that loops forever ends by SIGALRM; one that hangs the
	 CPU with interrupts off hangs the test's guest.  */
      alarm (20);
      if (sigaltstack (&ss, NULL) != 0)
	setup_failed ("sigaltstack");
      if (c->run != NULL)
	c->run ();
      else
	software_interrupt (c->vector);
      _exit (0);
    }
  if (waitpid (pid, &status, 0) != pid)
    {
      perror ("kml-faults: waitpid");
      return 2;
    }
  if (WIFSIGNALED (status))
    {
      say ("%s: killed by %s\n", c->name, signal_name (WTERMSIG (status)));
      return 1;
    }
  return WEXITSTATUS (status);
}

int
main (int argc, char **argv)
{
  unsigned i;
  int arg, ret = 0;

  if (argc == 2 && strcmp (argv[1], "list") == 0)
    {
      for (i = 0; i < NCASES; i++)
	say ("%s\n", cases[i].name);
      return 0;
    }
  if (argc == 2 && strcmp (argv[1], "all") == 0)
    {
      for (i = 0; i < NCASES; i++)
	ret |= run_case (&cases[i]);
      return ret;
    }
  if (argc < 2)
    {
      fprintf (stderr, "usage: kml-faults CASE...|all|list\n");
      return 2;
    }
  for (arg = 1; arg < argc; arg++)
    {
      for (i = 0; i < NCASES; i++)
	if (strcmp (argv[arg], cases[i].name) == 0)
	  break;
      if (i == NCASES)
	{
	  fprintf (stderr, "kml-faults: no case %s\n", argv[arg]);
	  return 2;
	}
      ret |= run_case (&cases[i]);
    }
  return ret;
}

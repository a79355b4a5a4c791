/* kml.h: the Kernel Mode Linux system call entry, as user space sees it.

   A process that Kernel Mode Linux runs in kernel mode (a program under
   /trusted) finds the address of the kernel's direct system call entry in
   its auxiliary vector, as AT_SYSINFO (32).  Other processes, and every
   process on a kernel without KML, get no AT_SYSINFO on x86-64, and the
   vDSO's __kernel_vsyscall (no "KML1" marker before it) on i686.

   Use it through libkml (libkml.c and libkml-x86_64.S or libkml-i386.S):
   kml_entry () finds the entry, kml_syscall6 () makes a system call
   through it, or through the trapping instruction when there is none, so
   one binary works everywhere.  kml_syscall6 is an assembly function, not
   inline code: the call it makes writes a return address below the
   stack pointer, which only its own frame can afford (see below).

   The contract (doc/ABI.md has the full text):

   x86-64
   - call site: exactly "call *%r11" (bytes 41 ff d3) with the entry in
     R11, the system call number in RAX and the arguments in RDI, RSI,
     RDX, R10, R8, R9, as for the syscall instruction;
   - the result is in RAX; RCX and R11 are clobbered, as by syscall;
   - the kernel takes the return address off the stack at entry and
     returns with RSP as after RET;
   - a restarted system call resumes at the call (return address - 3)
     with R11 = the entry, so the call is made again: this is why the
     call must be those three bytes and R11 the entry.  The kernel checks
     the bytes; a call made any other way is restarted at the entry
     itself with the return address pushed back, so a signal handler
     that runs before the restart sees a PC in kernel text, without
     unwind information, instead of the caller's;
   - with no entry (R11 == 0) the same site uses syscall.

   i686
   - the entry is AT_SYSINFO only if the 4 bytes before it are "KML1";
     otherwise AT_SYSINFO is __kernel_vsyscall, which pushes onto the
     stack, and kml_entry () returns 0;
   - call site: "call *ADDR" with the int $0x80 registers: EAX the number,
     EBX, ECX, EDX, ESI, EDI, EBP the arguments, EAX the result; every
     other register survives, the arithmetic flags do not; the kernel
     takes the return address off the stack and writes nothing there;
   - a restarted system call resumes at the call if the 7 bytes before
     the return address are "call *%gs:0x10" (65 ff 15 10 00 00 00, the C
     library's site), and otherwise at the vDSO's __kernel_kml_restart,
     a jump to the entry with the return address pushed back: either way
     the call is made again, and an unwinder reaches the caller;
   - with no entry, libkml uses int $0x80.

   Red zone (x86-64 only): the x86-64 ABI lets a function keep data in the
   128 bytes below RSP as long as it calls nothing.  A "call" hidden in
   inline assembly is invisible to the compiler, so it overwrites that
   data with its return address.  kml_syscall6 is a real function: its
   caller's compiler knows the call clobbers the slot below RSP, and the
   stub's own call *%r11 writes below the stub's RSP, where it keeps
   nothing.  Code built with -mno-red-zone (as the patched glibc is) may
   define KML_NO_RED_ZONE before including this file to get
   kml_syscall6_inline, the same call site inline in the caller.  Moving
   RSP around an inline call instead would break unwinding through the
   call site, which pthread_cancel and C++ exceptions need.

   KML_ABI_VERSION is the version of this contract.  It stays 1 as long
   as a binary built against this file keeps working unchanged: the
   auxiliary vector entry, the marker, the call sites and registers, the
   restart rules and the functions below may gain compatible additions,
   never lose or change what is written here.  A change that breaks a
   caller built against version 1 gets a new number, and a kernel then
   marks an entry of another contract so that version 1 code does not
   use it (another AT_SYSINFO type on x86-64, another marker on i686).  */

#ifndef KML_H
#define KML_H

#define KML_ABI_VERSION 1

#if !defined __x86_64__ && !defined __i386__
# error "kml.h: the KML direct entry exists for x86-64 and i686 programs only"
#endif
#if defined __x86_64__ && defined __ILP32__
# error "kml.h: x32 programs have no KML direct entry"
#endif

/* The auxiliary vector entry that holds the entry's address.  */
#define KML_AT_SYSINFO 32

/* The 4 bytes before an IA-32 entry, "KML1" as a little-endian word.  */
#define KML_I386_MARKER 0x314c4d4bU

/* Make system call NR with up to six arguments through ENTRY, or with the
   trapping instruction (syscall on x86-64, int $0x80 on i686) when ENTRY
   is 0.  Returns what the kernel returned: a negative errno value on
   failure, as for the raw instruction.  In libkml-x86_64.S and
   libkml-i386.S.  */
long kml_syscall6 (unsigned long entry, long nr, long a1, long a2, long a3,
		   long a4, long a5, long a6);

#define kml_syscall0(e, nr) kml_syscall6 (e, nr, 0, 0, 0, 0, 0, 0)
#define kml_syscall1(e, nr, a) kml_syscall6 (e, nr, (long) (a), 0, 0, 0, 0, 0)
#define kml_syscall2(e, nr, a, b) \
  kml_syscall6 (e, nr, (long) (a), (long) (b), 0, 0, 0, 0)
#define kml_syscall3(e, nr, a, b, c) \
  kml_syscall6 (e, nr, (long) (a), (long) (b), (long) (c), 0, 0, 0)
#define kml_syscall4(e, nr, a, b, c, d) \
  kml_syscall6 (e, nr, (long) (a), (long) (b), (long) (c), (long) (d), 0, 0)
#define kml_syscall5(e, nr, a, b, c, d, f) \
  kml_syscall6 (e, nr, (long) (a), (long) (b), (long) (c), (long) (d), \
		(long) (f), 0)

#if defined KML_NO_RED_ZONE && defined __x86_64__
/* kml_syscall6 with its call site inline, for code built with
   -mno-red-zone only (see above): no call and return around it.  */
static inline long
kml_syscall6_inline (unsigned long entry, long nr, long a1, long a2,
		     long a3, long a4, long a5, long a6)
{
  register unsigned long r11 __asm__ ("r11") = entry;
  register long r10 __asm__ ("r10") = a4;
  register long r8 __asm__ ("r8") = a5;
  register long r9 __asm__ ("r9") = a6;
  long ret;

  __asm__ volatile ("test %%r11, %%r11\n\t"
		    "jz 1f\n\t"
		    "call *%%r11\n\t"
		    "jmp 2f\n"
		    "1:\tsyscall\n"
		    "2:"
		    : "=a" (ret), "+r" (r11)
		    : "0" (nr), "D" (a1), "S" (a2), "d" (a3), "r" (r10),
		      "r" (r8), "r" (r9)
		    : "rcx", "memory", "cc");
  return ret;
}
#endif

/* The entry that AT_SYSINFO value SYSINFO names, or 0 if it names none:
   on i686, AT_SYSINFO is the entry only if "KML1" precedes it.  */
static inline unsigned long
kml_entry_from_sysinfo (unsigned long sysinfo)
{
#ifdef __i386__
  if (sysinfo == 0
      || *(const unsigned int *) (sysinfo - 4) != KML_I386_MARKER)
    return 0;
#endif
  return sysinfo;
}

/* The entry of this process, or 0, from the C library's copy of the
   auxiliary vector (getauxval; libkml.c).  */
unsigned long kml_entry (void);

/* The same from the initial stack, for start-up code that runs before any
   C library: the auxiliary vector, (type, value) pairs ended by type 0,
   follows the environment's terminating null pointer.  */
static inline unsigned long
kml_entry_from_envp (char **envp)
{
  unsigned long *auxv;

  while (*envp != 0)
    envp++;
  for (auxv = (unsigned long *) (envp + 1); auxv[0] != 0; auxv += 2)
    if (auxv[0] == KML_AT_SYSINFO)
      return kml_entry_from_sysinfo (auxv[1]);
  return 0;
}

#endif /* kml.h */

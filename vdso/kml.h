/* kml.h: the Kernel Mode Linux system call entry, as user space sees it.

   A process that Kernel Mode Linux runs in kernel mode (a program under
   /trusted) finds the address of the kernel's direct system call entry in
   its auxiliary vector, as AT_SYSINFO (32).  Other processes, and every
   process on a kernel without KML, get no AT_SYSINFO on x86-64.

   The contract (doc/ABI.md):
   - call site: "call *%r11" (41 ff d3) with the entry in R11, the system
     call number in RAX and the arguments in RDI, RSI, RDX, R10, R8, R9,
     as for the syscall instruction;
   - the result is in RAX; RCX and R11 are clobbered, as by syscall;
   - the kernel takes the return address off the stack at entry and
     returns with RSP as after RET;
   - a restarted system call resumes at the call (return address - 3)
     with R11 = the entry, so the call is made again;
   - with no entry (R11 == 0) the same call site uses the syscall
     instruction, so one binary works everywhere.

   The call writes its return address below RSP, where the x86-64 ABI
   lets the compiler keep data (the red zone): build code that uses
   kml_syscall6 with -mno-red-zone, as the patched glibc is built.  Moving
   RSP around the call instead would break unwinding through the call
   site, which pthread_cancel and C++ exceptions need.  */

#ifndef KML_H
#define KML_H

#if !defined __x86_64__ || defined __ILP32__
# error "kml.h: the KML direct entry exists for x86-64 programs only"
#endif

/* The auxiliary vector entry that holds the entry's address.  */
#define KML_AT_SYSINFO 32

/* Make system call NR with up to six arguments through ENTRY, or with the
   syscall instruction when ENTRY is 0.  Returns what the kernel returned:
   a negative errno value on failure, as for the raw instruction.  */
static inline long
kml_syscall6 (unsigned long entry, long nr, long a1, long a2, long a3,
	      long a4, long a5, long a6)
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

#define kml_syscall0(e, nr) kml_syscall6 (e, nr, 0, 0, 0, 0, 0, 0)
#define kml_syscall1(e, nr, a) kml_syscall6 (e, nr, (long) (a), 0, 0, 0, 0, 0)
#define kml_syscall2(e, nr, a, b) \
  kml_syscall6 (e, nr, (long) (a), (long) (b), 0, 0, 0, 0)
#define kml_syscall3(e, nr, a, b, c) \
  kml_syscall6 (e, nr, (long) (a), (long) (b), (long) (c), 0, 0, 0)
#define kml_syscall4(e, nr, a, b, c, d) \
  kml_syscall6 (e, nr, (long) (a), (long) (b), (long) (c), (long) (d), 0, 0)

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
      return auxv[1];
  return 0;
}

#endif /* kml.h */

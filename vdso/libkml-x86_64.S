/* libkml: kml_syscall6 for x86-64 (vdso/kml.h, doc/ABI.md).

   long kml_syscall6 (unsigned long entry, long nr, long a1, long a2,
		      long a3, long a4, long a5, long a6);

   A function of its own so that the return address that "call *%r11"
   writes below RSP lands in this function's frame, which holds nothing
   there, and never in a caller's red zone: the caller's compiler sees an
   ordinary call.  RSP does not move here, so the default unwind rule
   (CFA = RSP + 8, the return address at CFA - 8) holds at every
   instruction, the call site included: a signal frame of a restarted or
   interrupted call, whose PC is that site, unwinds to the caller.  The
   call site is the contract's "41 ff d3" with R11 = the entry, which a
   restart needs (it resumes 3 bytes before the return address with R11
   set to the entry again).  */

	.text
	.globl	kml_syscall6
	.type	kml_syscall6, @function
	.p2align 4
kml_syscall6:
	.cfi_startproc
	mov	%rdi, %r11		/* the entry, or 0 */
	mov	%rsi, %rax		/* the system call number */
	mov	%rdx, %rdi
	mov	%rcx, %rsi
	mov	%r8, %rdx
	mov	%r9, %r10
	mov	8(%rsp), %r8
	mov	16(%rsp), %r9
	test	%r11, %r11
	jz	1f
	call	*%r11
	ret
1:	syscall
	ret
	.cfi_endproc
	.size	kml_syscall6, . - kml_syscall6

	.section .note.GNU-stack, "", @progbits

/* libkml: kml_syscall6 for i686 (vdso/kml.h, doc/ABI.md).

   long kml_syscall6 (unsigned long entry, long nr, long a1, long a2,
		      long a3, long a4, long a5, long a6);

   The system call takes its six arguments in EBX, ECX, EDX, ESI, EDI and
   EBP, every register but EAX and ESP, so the entry stays in its argument
   slot and the call reads it from there: "call *ENTRY(%esp)" writes its
   return address below ESP, which holds nothing, and the kernel writes
   nothing else to the stack.  ENTRY is kml_entry ()'s: the KML entry
   (checked by its "KML1" marker) or 0, and with 0 the system call is an
   int $0x80, never a call of __kernel_vsyscall, which pushes onto the
   stack.

   A restart of the call resumes at the vDSO's __kernel_kml_restart, not
   here: this "call *disp8(%esp)" is not the 7-byte "call *%gs:0x10" that
   the kernel rewinds to.  That code jumps to the entry with the return
   address pushed back and has the unwind information of a function just
   called, so an unwinder goes on from it to the return address here, and
   this function's CFI below to its caller.  */

	.text
	.globl	kml_syscall6
	.type	kml_syscall6, @function
	.p2align 4
kml_syscall6:
	.cfi_startproc
	push	%ebp
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebp, 0
	push	%edi
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %edi, 0
	push	%esi
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %esi, 0
	push	%ebx
	.cfi_adjust_cfa_offset 4
	.cfi_rel_offset %ebx, 0
	/* 16 bytes of saved registers and the return address, then the
	   arguments: ENTRY at 20(%esp), NR at 24(%esp), A1 at 28(%esp)...  */
	mov	24(%esp), %eax
	mov	28(%esp), %ebx
	mov	32(%esp), %ecx
	mov	36(%esp), %edx
	mov	40(%esp), %esi
	mov	44(%esp), %edi
	mov	48(%esp), %ebp
	cmpl	$0, 20(%esp)
	je	1f
	call	*20(%esp)
	jmp	2f
1:	int	$0x80
2:	pop	%ebx
	.cfi_adjust_cfa_offset -4
	.cfi_restore %ebx
	pop	%esi
	.cfi_adjust_cfa_offset -4
	.cfi_restore %esi
	pop	%edi
	.cfi_adjust_cfa_offset -4
	.cfi_restore %edi
	pop	%ebp
	.cfi_adjust_cfa_offset -4
	.cfi_restore %ebp
	ret
	.cfi_endproc
	.size	kml_syscall6, . - kml_syscall6

	.section .note.GNU-stack, "", @progbits

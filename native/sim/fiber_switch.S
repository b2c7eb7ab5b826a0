// x86-64 System V context switch for the simulator's fibers (see fiber.h).
//
// A suspended context is just its stack pointer: the callee-saved registers, MXCSR and the x87
// control word sit on its stack in the layout below, so switching is a few pushes, one rsp swap
// and the matching pops. No syscalls, no signal mask (which is what makes ucontext slow).
//
//   higher addresses
//     return address        <- where the context resumes
//     rbp, rbx, r12, r13, r14, r15
//     [sp+4] x87 control word, [sp+0] MXCSR   <- saved sp points here (16 bytes reserved)

    .text

// void ds_sim_switch(void** save_sp /*rdi*/, void* load_sp /*rsi*/)
    .globl  ds_sim_switch
    .hidden ds_sim_switch
    .type   ds_sim_switch, @function
    .p2align 4
ds_sim_switch:
    .cfi_startproc
    endbr64
    pushq   %rbp
    .cfi_adjust_cfa_offset 8
    pushq   %rbx
    .cfi_adjust_cfa_offset 8
    pushq   %r12
    .cfi_adjust_cfa_offset 8
    pushq   %r13
    .cfi_adjust_cfa_offset 8
    pushq   %r14
    .cfi_adjust_cfa_offset 8
    pushq   %r15
    .cfi_adjust_cfa_offset 8
    subq    $16, %rsp
    .cfi_adjust_cfa_offset 16
    stmxcsr (%rsp)
    fnstcw  4(%rsp)
    movq    %rsp, (%rdi)
    // Both stacks have the same layout from here on, so the CFI above stays valid.
    movq    %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw   4(%rsp)
    addq    $16, %rsp
    .cfi_adjust_cfa_offset -16
    popq    %r15
    .cfi_adjust_cfa_offset -8
    popq    %r14
    .cfi_adjust_cfa_offset -8
    popq    %r13
    .cfi_adjust_cfa_offset -8
    popq    %r12
    .cfi_adjust_cfa_offset -8
    popq    %rbx
    .cfi_adjust_cfa_offset -8
    popq    %rbp
    .cfi_adjust_cfa_offset -8
    ret
    .cfi_endproc
    .size   ds_sim_switch, .-ds_sim_switch

// First code a new fiber runs: fiber_prepare() makes ds_sim_switch "return" here with the entry
// function in r13 and its argument in r12. The entry never returns (it switches away for good).
    .globl  ds_sim_fiber_start
    .hidden ds_sim_fiber_start
    .type   ds_sim_fiber_start, @function
    .p2align 4
ds_sim_fiber_start:
    .cfi_startproc
    .cfi_undefined rip      // outermost frame: debuggers and unwinders stop here
    endbr64
    movq    %r12, %rdi
    call    *%r13
    ud2
    .cfi_endproc
    .size   ds_sim_fiber_start, .-ds_sim_fiber_start

    .section .note.GNU-stack,"",@progbits

/*
 * bootcheck accelerator probe: a 512-byte MBR boot sector.
 *
 * SeaBIOS loads this sector at 0x7c00 and jumps to it in real mode. It then
 *   1. prints 'R' on COM1 (real mode reached),
 *   2. enables A20, loads a GDT and enters 32-bit protected mode, prints 'P',
 *   3. builds identity-mapped page tables at 0x1000-0x3fff (PML4, PDPT and
 *      one page directory of 512 x 2 MiB pages = first 1 GiB), enables PAE,
 *      EFER.LME and paging, far-jumps into a 64-bit code segment,
 *   4. in long mode checks EFER.LMA (prints 'X' and halts if it is clear),
 *      prints 'L', runs a short CPU workload (4 x 2.5M loop iterations, one
 *      '.' per chunk), prints "BOOTCHECK-PROBE-OK\n" and
 *   5. writes 0x10 to isa-debug-exit (port 0xf4), so QEMU exits with status
 *      (0x10 << 1) | 1 = 33. If no isa-debug-exit device is present it halts.
 *
 * Full output on success: "RPL....BOOTCHECK-PROBE-OK\n".
 *
 * Only C-style comments are used so the file assembles with plain `as` and
 * also through the C preprocessor (gcc -c probe.S).
 *
 * Build (see README.md, must match the bytes embedded in image.ts):
 *   as --64 -o probe.o probe.S
 *   ld -Ttext 0x7c00 --oformat binary -e _start -o probe.bin probe.o
 */

        .set COM1,      0x3f8
        .set COM1_LSR,  COM1 + 5
        .set DEBUG_EXIT, 0xf4
        .set EXIT_VALUE, 0x10
        .set WORK_CHUNKS, 4
        .set WORK_ITERS, 2500000
        .set PML4,      0x1000
        .set PDPT,      0x2000
        .set PD,        0x3000

        /* Busy-wait for THR empty (LSR bit 5), then send %al. Clobbers %dx.
         * Expanded inline so it assembles correctly in every code size. */
        .macro  SERIAL_PUTC
        mov     %al, %ah
        mov     $COM1_LSR, %dx
9:      in      (%dx), %al
        test    $0x20, %al
        jz      9b
        mov     %ah, %al
        mov     $COM1, %dx
        out     %al, (%dx)
        .endm

        .text
        .globl  _start

        .code16
_start:
        cli
        cld
        xor     %ax, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x7c00, %sp
        ljmp    $0, $real_mode              /* normalise CS:IP to 0000:7cxx */
real_mode:
        mov     $'R', %al
        SERIAL_PUTC

        /* Fast A20 gate (port 0x92), leaving the reset bit clear. */
        in      $0x92, %al
        or      $0x02, %al
        and     $0xfe, %al
        out     %al, $0x92

        lgdtl   gdt_desc
        mov     %cr0, %eax
        or      $1, %eax                    /* CR0.PE */
        mov     %eax, %cr0
        ljmpl   $0x08, $prot_mode

        .code32
prot_mode:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        mov     $0x7c00, %esp
        mov     $'P', %al
        SERIAL_PUTC

        /* Zero PML4, PDPT and PD (3 x 4 KiB). */
        mov     $PML4, %edi
        xor     %eax, %eax
        mov     $(3 * 4096 / 4), %ecx
        rep stosl
        movl    $(PDPT | 3), PML4           /* present | writable */
        movl    $(PD | 3), PDPT
        /* 512 x 2 MiB identity-mapped pages: present | writable | PS. */
        mov     $PD, %edi
        mov     $0x83, %eax
        mov     $512, %ecx
1:      mov     %eax, (%edi)
        add     $0x200000, %eax
        add     $8, %edi
        loop    1b

        mov     %cr4, %eax
        or      $0x20, %eax                 /* CR4.PAE */
        mov     %eax, %cr4
        mov     $PML4, %eax
        mov     %eax, %cr3
        mov     $0xc0000080, %ecx           /* IA32_EFER */
        rdmsr
        or      $0x100, %eax                /* EFER.LME */
        wrmsr
        mov     %cr0, %eax
        or      $0x80000000, %eax           /* CR0.PG */
        mov     %eax, %cr0
        ljmp    $0x18, $long_mode

        .code64
long_mode:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     $0x7c00, %esp

        /* Double-check that the CPU really is in long mode (EFER.LMA). */
        mov     $0xc0000080, %ecx
        rdmsr
        test    $0x400, %eax
        jnz     2f
        mov     $'X', %al
        SERIAL_PUTC
        jmp     halt
2:
        mov     $'L', %al
        SERIAL_PUTC

        /* CPU workload: WORK_CHUNKS x WORK_ITERS iterations of a tiny loop,
         * printing '.' after each chunk. Under working KVM this takes a few
         * ms and under TCG some tens of ms, but a vCPU that traps or emulates
         * every instruction (seen with a broken nested /dev/kvm) needs many
         * seconds, so the probe times out instead of "passing" slowly. */
        mov     $WORK_CHUNKS, %ebx
5:      mov     $WORK_ITERS, %ecx
6:      dec     %ecx
        jnz     6b
        mov     $'.', %al
        SERIAL_PUTC
        dec     %ebx
        jnz     5b

        lea     ok_msg(%rip), %rsi
3:      lodsb
        test    %al, %al
        jz      4f
        SERIAL_PUTC
        jmp     3b
4:
        mov     $EXIT_VALUE, %al
        out     %al, $DEBUG_EXIT
halt:
        hlt
        jmp     halt

ok_msg:
        .asciz  "BOOTCHECK-PROBE-OK\n"

        .p2align 3
gdt:
        .quad   0                           /* 0x00: null */
        .quad   0x00cf9a000000ffff          /* 0x08: 32-bit code, flat */
        .quad   0x00cf92000000ffff          /* 0x10: data, flat */
        .quad   0x00af9a000000ffff          /* 0x18: 64-bit code (L=1) */
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt

        .org    510
        .byte   0x55, 0xaa

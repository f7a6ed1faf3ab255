# Memory map and UART0 of each QEMU machine the mps2 port supports. The TrustZone
# machines boot in Secure state, so code, data and UART use the secure aliases
# (address | 0x10000000) that the SSE subsystem maps over the non-secure ones.
# SysTick runs at SYSCLK in QEMU's virtual time and -icount shift=0 makes one instruction
# last 1 ns, so one tick is 1e9/SYSCLK instructions: PC_COUNTER_MUL/DIV scale counter deltas
# to instructions (resolution: one tick).
set(_m "${PC_BOARD_QEMU_MACHINE}")
if(_m STREQUAL "mps2-an385" OR _m STREQUAL "mps2-an386" OR _m STREQUAL "mps2-an500")
  set(PC_FLASH_ORIGIN 0x00000000)   # ZBT SSRAM1, 4 MiB
  set(PC_FLASH_LENGTH 0x00400000)
  set(PC_RAM_ORIGIN 0x20000000)     # ZBT SSRAM2/3, 4 MiB
  set(PC_RAM_LENGTH 0x00400000)
  set(PC_UART_BASE 0x40004000u)
  set(PC_COUNTER_MUL 40u)           # SYSCLK 25 MHz: 40 ns per tick
  set(PC_COUNTER_DIV 1u)
elseif(_m STREQUAL "mps2-an505")
  set(PC_FLASH_ORIGIN 0x10000000)   # SSRAM1 (secure alias of 0x00000000), 4 MiB
  set(PC_FLASH_LENGTH 0x00400000)
  set(PC_RAM_ORIGIN 0x38000000)     # SSRAM2 (secure alias of 0x28000000), 2 MiB
  set(PC_RAM_LENGTH 0x00200000)
  set(PC_UART_BASE 0x50200000u)
  set(PC_COUNTER_MUL 50u)           # SYSCLK 20 MHz: 50 ns per tick
  set(PC_COUNTER_DIV 1u)
elseif(_m STREQUAL "mps3-an547")
  set(PC_FLASH_ORIGIN 0x10000000)   # ITCM (secure alias of 0x00000000), 512 KiB
  set(PC_FLASH_LENGTH 0x00080000)
  set(PC_RAM_ORIGIN 0x30000000)     # DTCM (secure alias of 0x20000000), 512 KiB
  set(PC_RAM_LENGTH 0x00080000)
  set(PC_UART_BASE 0x59303000u)
  set(PC_COUNTER_MUL 125u)          # SYSCLK 32 MHz: 31.25 ns per tick
  set(PC_COUNTER_DIV 4u)
else()
  message(FATAL_ERROR "boards: qemu.machine '${_m}' is not supported by firmware/ports/mps2; use mps2-an386, mps2-an500, mps2-an505 or mps3-an547")
endif()

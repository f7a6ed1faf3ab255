# STM32F4 (NUCLEO-F446RE): flash at 0x08000000 (RM0390 3.3 Table 4, mapped at 0 on boot),
# SRAM1+SRAM2 contiguous at 0x20000000 (RM0390 2.3); sizes from the board file.
set(PC_FLASH_ORIGIN 0x08000000)
set(PC_RAM_ORIGIN 0x20000000)
set(PC_PORT_SOURCES "${CMAKE_CURRENT_LIST_DIR}/hal_stm32f4.c")
include("${PC_ROOT}/firmware/ports/cortex-m/common.cmake")

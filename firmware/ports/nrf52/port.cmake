# nRF52840 (nRF52840-DK): flash at 0x00000000, Data RAM at 0x20000000 (nRF52840 PS v1.7,
# "Memory" chapter); sizes from the board file. No MBR/SoftDevice: the image owns the whole flash.
set(PC_FLASH_ORIGIN 0x00000000)
set(PC_RAM_ORIGIN 0x20000000)
set(PC_PORT_SOURCES "${CMAKE_CURRENT_LIST_DIR}/hal_nrf52.c")
include("${PC_ROOT}/firmware/ports/cortex-m/common.cmake")

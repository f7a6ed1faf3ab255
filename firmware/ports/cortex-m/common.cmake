# Shared by the real Cortex-M4F board ports (not a port itself): the including port.cmake sets PC_FLASH_ORIGIN,
# PC_RAM_ORIGIN and PC_PORT_SOURCES; sizes, clock and baud come from the board file.
foreach(_v PC_BOARD_FLASH_BYTES PC_BOARD_RAM_BYTES PC_BOARD_CLOCK_HZ PC_BOARD_BAUD)
  if(NOT ${_v})
    message(FATAL_ERROR "${PC_BOARD_FILE}: ${_v} is 0; set flash_bytes, ram_bytes, clock_hz and serial.baud")
  endif()
endforeach()
set(PC_LINK_TEMPLATE "${PC_ROOT}/firmware/ports/cortex-m/link.ld.in")
include("${PC_ROOT}/firmware/ports/cortex-m/baremetal.cmake")
target_compile_definitions(${PC_TARGET} PRIVATE PC_CLOCK_HZ=${PC_BOARD_CLOCK_HZ}u PC_UART_BAUD=${PC_BOARD_BAUD}u)
# Intel HEX next to the ELF for drag-and-drop (ST-LINK / J-Link mass storage) and nrfjprog;
# pyocd flashes the ELF itself.
add_custom_command(TARGET ${PC_TARGET} POST_BUILD
  COMMAND ${CMAKE_OBJCOPY} -O ihex "$<TARGET_FILE:${PC_TARGET}>" "${CMAKE_BINARY_DIR}/packetclip.hex"
  BYPRODUCTS "${CMAKE_BINARY_DIR}/packetclip.hex" VERBATIM)

# Shared by the real Cortex-M4F board ports (not a port itself): the including port.cmake sets PC_FLASH_ORIGIN,
# PC_RAM_ORIGIN and PC_PORT_SOURCES; sizes, clock and baud come from the board file.
foreach(_v PC_BOARD_FLASH_BYTES PC_BOARD_RAM_BYTES PC_BOARD_CLOCK_HZ PC_BOARD_BAUD)
  if(NOT ${_v})
    message(FATAL_ERROR "${PC_BOARD_FILE}: ${_v} is 0; set flash_bytes, ram_bytes, clock_hz and serial.baud")
  endif()
endforeach()
set(PC_STACK_BYTES ${PACKETCLIP_STACK_BYTES})
configure_file("${PC_ROOT}/firmware/ports/cortex-m/link.ld.in" "${CMAKE_BINARY_DIR}/link.ld" @ONLY)
target_sources(${PC_TARGET} PRIVATE "${PC_ROOT}/firmware/ports/cortex-m/startup.c" ${PC_PORT_SOURCES})
target_include_directories(${PC_TARGET} PRIVATE "${PC_ROOT}/firmware/ports/cortex-m")
target_compile_definitions(${PC_TARGET} PRIVATE PC_CLOCK_HZ=${PC_BOARD_CLOCK_HZ}u PC_UART_BAUD=${PC_BOARD_BAUD}u)
target_compile_options(${PC_TARGET} PRIVATE -Os -g -ffunction-sections -fdata-sections -Wall -Wextra
  -fno-tree-loop-distribute-patterns  # keep small loops inline instead of calling libc memcpy/memset
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics>)
target_link_options(${PC_TARGET} PRIVATE -nostartfiles --specs=nano.specs --specs=nosys.specs
  -Wl,--gc-sections -Wl,--no-warn-rwx-segments "-T${CMAKE_BINARY_DIR}/link.ld")
set_target_properties(${PC_TARGET} PROPERTIES SUFFIX ".elf" LINK_DEPENDS "${CMAKE_BINARY_DIR}/link.ld")
# Intel HEX next to the ELF for drag-and-drop (ST-LINK / J-Link mass storage) and nrfjprog;
# pyocd flashes the ELF itself.
add_custom_command(TARGET ${PC_TARGET} POST_BUILD
  COMMAND ${CMAKE_OBJCOPY} -O ihex "$<TARGET_FILE:${PC_TARGET}>" "${CMAKE_BINARY_DIR}/packetclip.hex"
  BYPRODUCTS "${CMAKE_BINARY_DIR}/packetclip.hex" VERBATIM)

# Cortex-M on QEMU MPS2/MPS3: size-first bare-metal build with newlib-nano for the few
# libc helpers the compiler may call (memcpy, memset).
include("${CMAKE_CURRENT_LIST_DIR}/machines.cmake")
set(PC_STACK_BYTES ${PACKETCLIP_STACK_BYTES})
configure_file("${CMAKE_CURRENT_LIST_DIR}/link.ld.in" "${CMAKE_BINARY_DIR}/link.ld" @ONLY)
target_sources(${PC_TARGET} PRIVATE "${CMAKE_CURRENT_LIST_DIR}/startup.c" "${CMAKE_CURRENT_LIST_DIR}/hal_mps2.c")
target_compile_definitions(${PC_TARGET} PRIVATE PC_UART_BASE=${PC_UART_BASE}
  PC_COUNTER_MUL=${PC_COUNTER_MUL} PC_COUNTER_DIV=${PC_COUNTER_DIV})
target_compile_options(${PC_TARGET} PRIVATE -Os -g -ffunction-sections -fdata-sections -Wall -Wextra
  -fno-tree-loop-distribute-patterns  # keep small loops inline instead of calling libc memcpy/memset/strlen
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics>)
target_link_options(${PC_TARGET} PRIVATE -nostartfiles --specs=nano.specs --specs=nosys.specs
  -Wl,--gc-sections -Wl,--no-warn-rwx-segments "-T${CMAKE_BINARY_DIR}/link.ld")
set_target_properties(${PC_TARGET} PROPERTIES SUFFIX ".elf" LINK_DEPENDS "${CMAKE_BINARY_DIR}/link.ld")

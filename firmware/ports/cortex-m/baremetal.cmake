# Shared by every Cortex-M port (not a port itself): the one startup, size-first compile
# options and a bare-metal newlib-nano link (for the few libc helpers the compiler may call).
# The including port sets PC_LINK_TEMPLATE (its linker script template, configured with the
# port's memory variables), PC_PORT_SOURCES, and whatever variables that template uses.
set(PC_STACK_BYTES ${PACKETCLIP_STACK_BYTES})
configure_file("${PC_LINK_TEMPLATE}" "${CMAKE_BINARY_DIR}/link.ld" @ONLY)
target_sources(${PC_TARGET} PRIVATE "${PC_ROOT}/firmware/ports/cortex-m/startup.c" ${PC_PORT_SOURCES})
target_include_directories(${PC_TARGET} PRIVATE "${PC_ROOT}/firmware/ports/cortex-m")
target_compile_options(${PC_TARGET} PRIVATE -Os -g -ffunction-sections -fdata-sections -Wall -Wextra
  -fno-tree-loop-distribute-patterns  # keep small loops inline instead of calling libc memcpy/memset/strlen
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics>)
target_link_options(${PC_TARGET} PRIVATE -nostartfiles --specs=nano.specs --specs=nosys.specs
  -Wl,--gc-sections -Wl,--no-warn-rwx-segments "-T${CMAKE_BINARY_DIR}/link.ld")
set_target_properties(${PC_TARGET} PROPERTIES SUFFIX ".elf" LINK_DEPENDS "${CMAKE_BINARY_DIR}/link.ld")

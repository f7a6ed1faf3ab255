# RV32IMC on qemu-system-riscv32 -M virt (an ESP32-C3-class core) with picolibc.
target_sources(${PC_TARGET} PRIVATE "${CMAKE_CURRENT_LIST_DIR}/start.S" "${CMAKE_CURRENT_LIST_DIR}/hal_rv32.c")
target_compile_options(${PC_TARGET} PRIVATE -Os -g -ffunction-sections -fdata-sections -Wall -Wextra
  -fno-tree-loop-distribute-patterns  # keep small loops inline instead of calling libc memcpy/memset/strlen
  --specs=picolibc.specs -mcmodel=medany
  $<$<COMPILE_LANGUAGE:CXX>:-fno-exceptions -fno-rtti -fno-threadsafe-statics>)
# Link with plain rv32imc so gcc picks picolibc's rv32im multilib (with _zicsr it picks none).
target_link_options(${PC_TARGET} PRIVATE -march=rv32imc --specs=picolibc.specs -nostartfiles -mcmodel=medany
  -Wl,--gc-sections "-T${CMAKE_CURRENT_LIST_DIR}/link.ld")
set_target_properties(${PC_TARGET} PROPERTIES LINK_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/link.ld")
set_target_properties(${PC_TARGET} PROPERTIES SUFFIX ".elf")

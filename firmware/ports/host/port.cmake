# POSIX host: the protocol over TCP or a pty, for fast tests, fuzzing and fault injection.
target_sources(${PC_TARGET} PRIVATE "${CMAKE_CURRENT_LIST_DIR}/hal_host.c")
set_source_files_properties("${CMAKE_CURRENT_LIST_DIR}/hal_host.c" PROPERTIES COMPILE_OPTIONS "-std=gnu99")
target_compile_options(${PC_TARGET} PRIVATE -O2 -g -Wall -Wextra)
set_target_properties(${PC_TARGET} PROPERTIES OUTPUT_NAME packetclip SUFFIX ".elf")

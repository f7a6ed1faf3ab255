# Cortex-M on QEMU MPS2/MPS3: the shared Cortex-M startup and build options, with this
# port's linker script filled from the machine's memory map (machines.cmake).
include("${CMAKE_CURRENT_LIST_DIR}/machines.cmake")
set(PC_LINK_TEMPLATE "${CMAKE_CURRENT_LIST_DIR}/link.ld.in")
set(PC_PORT_SOURCES "${CMAKE_CURRENT_LIST_DIR}/hal_mps2.c")
include("${PC_ROOT}/firmware/ports/cortex-m/baremetal.cmake")
target_compile_definitions(${PC_TARGET} PRIVATE PC_UART_BASE=${PC_UART_BASE}
  PC_COUNTER_MUL=${PC_COUNTER_MUL} PC_COUNTER_DIV=${PC_COUNTER_DIV})

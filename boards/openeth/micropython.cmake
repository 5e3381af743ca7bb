# The openeth user C module (openeth.c): QEMU's emulated Ethernet for the
# QEMU variant of the C3 board, which names this file in USER_C_MODULES.
add_library(usermod_openeth INTERFACE)
target_sources(usermod_openeth INTERFACE ${CMAKE_CURRENT_LIST_DIR}/openeth.c)
target_include_directories(usermod_openeth INTERFACE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(usermod INTERFACE usermod_openeth)

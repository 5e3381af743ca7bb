# Shared by this project's boards: boards/<BOARD>/mpconfigboard.cmake sets
# SDKCONFIG_DEFAULTS, then includes this file. MicroPython's esp32 port
# includes mpconfigboard.cmake (and then a variant's
# mpconfigvariant_<VARIANT>.cmake) before ESP-IDF's project(), so what is
# set here reaches ESP-IDF.

# The board's facts from the registry, boards/boards.json (one line per
# board): the chip and the flash size.
set(MICRODOT_REGISTRY ${MICROPY_BOARD_DIR}/../boards.json)
file(READ ${MICRODOT_REGISTRY} MICRODOT_BOARDS)
string(JSON MICRODOT_BOARD ERROR_VARIABLE MICRODOT_NOT_LISTED
    GET ${MICRODOT_BOARDS} ${MICROPY_BOARD})
if(MICRODOT_NOT_LISTED)
    message(FATAL_ERROR "boards/${MICROPY_BOARD} is not in boards/boards.json: "
        "add a line for it (target, chip_id, flash_mb, frozen_budget, "
        "generic_image, generic_image_source)")
endif()
string(JSON IDF_TARGET GET ${MICRODOT_BOARD} target)
string(JSON MICRODOT_FLASH_MB GET ${MICRODOT_BOARD} flash_mb)

# Each sdkconfig file must be in this MicroPython checkout; a missing one
# means a different release than the boards were written for. (Relative
# names are relative to ports/esp32, as the port reads them.)
foreach(fragment IN LISTS SDKCONFIG_DEFAULTS)
    if(NOT IS_ABSOLUTE ${fragment})
        set(fragment ${CMAKE_CURRENT_SOURCE_DIR}/${fragment})
    endif()
    if(NOT EXISTS ${fragment})
        message(FATAL_ERROR "boards/${MICROPY_BOARD}: ${fragment} does not "
            "exist in this MicroPython checkout. The boards follow the "
            "release pinned in firmware/versions.env: build with it "
            "(firmware/build.py fetches it), or update "
            "boards/${MICROPY_BOARD}/mpconfigboard.cmake.")
    endif()
endforeach()

# The partition table is the board's partitions.csv (the host emulation
# reads the same file). ESP-IDF takes a path relative to ports/esp32 or an
# absolute one; an sdkconfig file kept in the repository can hold neither,
# so the absolute path goes into a file in the build folder, read last,
# with the flash size of the registry.
set(MICRODOT_PARTITIONS ${MICROPY_BOARD_DIR}/partitions.csv)
if(NOT EXISTS ${MICRODOT_PARTITIONS})
    message(FATAL_ERROR "boards/${MICROPY_BOARD}/partitions.csv is missing")
endif()
file(WRITE ${CMAKE_BINARY_DIR}/sdkconfig.microdot
    "CONFIG_ESPTOOLPY_FLASHSIZE_${MICRODOT_FLASH_MB}MB=y\n"
    "CONFIG_PARTITION_TABLE_CUSTOM=y\n"
    "CONFIG_PARTITION_TABLE_CUSTOM_FILENAME=\"${MICRODOT_PARTITIONS}\"\n")
list(APPEND SDKCONFIG_DEFAULTS ${CMAKE_BINARY_DIR}/sdkconfig.microdot)

# What gets frozen: the board's manifest, which includes the project's.
set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)

# The version in the app descriptor (what OTA and /api/status show).
# firmware/build.py writes the project's `git describe` into this file
# before each build; a changed file makes CMake configure again. ESP-IDF
# takes PROJECT_VER when it is set before project().
set(MICRODOT_VERSION_FILE ${CMAKE_BINARY_DIR}/firmware-version.txt)
if(EXISTS ${MICRODOT_VERSION_FILE})
    file(STRINGS ${MICRODOT_VERSION_FILE} PROJECT_VER LIMIT_COUNT 1)
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
        ${MICRODOT_VERSION_FILE})
else()
    set(PROJECT_VER "unversioned")  # built without firmware/build.py
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
    ${MICRODOT_REGISTRY})
message(STATUS "microdot-esp firmware ${PROJECT_VER} for ${MICROPY_BOARD} "
    "(${IDF_TARGET}, ${MICRODOT_FLASH_MB} MB flash)")

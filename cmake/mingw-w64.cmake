# cmake/mingw-w64.cmake - cross-compiling for Windows x64 with Debian's mingw-w64
# (gcc-mingw-w64-x86-64, the Win32-threads flavour: libuv and OpenSSL use Windows threads
# directly, so no winpthread DLL or static copy is needed).
#
#   cmake -S . -B build-windows -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake \
#         -DUC_WIN_PREFIX=/var/cache/ucscan-windows/<key>
#
# UC_WIN_PREFIX is the prefix .ci/lib/windows-deps.sh builds (static libuv, jansson, OpenSSL,
# cmocka); .ci/windows passes it. Tests run under wine64 (CMAKE_CROSSCOMPILING_EMULATOR).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(UC_WIN_TRIPLET x86_64-w64-mingw32)

find_program(CMAKE_C_COMPILER NAMES ${UC_WIN_TRIPLET}-gcc-win32 ${UC_WIN_TRIPLET}-gcc REQUIRED)
find_program(CMAKE_RC_COMPILER NAMES ${UC_WIN_TRIPLET}-windres)
find_program(CMAKE_AR NAMES ${UC_WIN_TRIPLET}-gcc-ar-win32 ${UC_WIN_TRIPLET}-ar)
find_program(CMAKE_RANLIB NAMES ${UC_WIN_TRIPLET}-gcc-ranlib-win32 ${UC_WIN_TRIPLET}-ranlib)

# Libraries and headers come from the mingw sysroot and the dependency prefix only, never
# from the build machine's /usr.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES UC_WIN_PREFIX)
set(CMAKE_FIND_ROOT_PATH /usr/${UC_WIN_TRIPLET} ${UC_WIN_PREFIX})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The tests run under Wine (Debian's wine64 package installs the loader here).
find_program(UC_WINE NAMES wine64 PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(UC_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${UC_WINE})
endif()

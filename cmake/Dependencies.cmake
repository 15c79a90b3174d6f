# Finds the third-party libraries and wraps each in one imported target named imagenet::<lib>,
# so the rest of the build never cares whether a package shipped a CMake config or not.
# Works with Debian's packages (/usr) and with the same packages unpacked into a prefix that is
# passed in CMAKE_PREFIX_PATH (the GPU machine, see docs/GPU.md).

find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)

# --- LibTorch: Debian's 1.13 (CPU) or the one inside a pip wheel (2.x, CUDA) ------------------
find_package(Torch REQUIRED)
get_filename_component(IMAGENET_TORCH_LIBDIR "${TORCH_LIBRARY}" DIRECTORY)
set(IMAGENET_WITH_CUDA OFF)
if(TORCH_CUDA_LIBRARIES OR TARGET torch_cuda)
  set(IMAGENET_WITH_CUDA ON)
endif()
message(STATUS "LibTorch ${Torch_VERSION} at ${IMAGENET_TORCH_LIBDIR}, CUDA: ${IMAGENET_WITH_CUDA}")

# Finds a header and a library by hand and wraps them in an imported target.
# ARCH_HEADER names a header Debian keeps in the multiarch folder (/usr/include/<arch>/), such
# as libjpeg's jconfig.h: that folder is searched in the same prefix as the main header, so a
# prefix in CMAKE_PREFIX_PATH never mixes with another libjpeg's jconfig.h of the system.
function(imagenet_find_library target header lib)
  cmake_parse_arguments(ARG "" "ARCH_HEADER" "SUFFIXES;EXTRA_LIBS" ${ARGN})
  find_path(${target}_INCLUDE_DIR ${header} PATH_SUFFIXES ${ARG_SUFFIXES})
  find_library(${target}_LIBRARY ${lib})
  if(NOT ${target}_INCLUDE_DIR OR NOT ${target}_LIBRARY)
    message(FATAL_ERROR "Could not find ${header} / lib${lib}. Run scripts/install_deps.sh, "
                        "or pass the prefix holding them in CMAKE_PREFIX_PATH.")
  endif()
  set(include_dirs ${${target}_INCLUDE_DIR})
  if(ARG_ARCH_HEADER)
    set(arch_dir "${${target}_INCLUDE_DIR}/${CMAKE_LIBRARY_ARCHITECTURE}")
    foreach(suffix ${ARG_SUFFIXES})
      string(REGEX REPLACE "/${suffix}$" "/${CMAKE_LIBRARY_ARCHITECTURE}/${suffix}" arch_dir
             "${${target}_INCLUDE_DIR}")
    endforeach()
    if(EXISTS "${arch_dir}/${ARG_ARCH_HEADER}")
      list(PREPEND include_dirs "${arch_dir}")
    endif()
  endif()
  set(libs ${${target}_LIBRARY})
  foreach(extra ${ARG_EXTRA_LIBS})
    find_library(${target}_${extra}_LIBRARY ${extra} REQUIRED)
    list(APPEND libs ${${target}_${extra}_LIBRARY})
  endforeach()
  add_library(imagenet::${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(imagenet::${target} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${include_dirs}"
    INTERFACE_LINK_LIBRARIES "${libs}")
endfunction()

# --- yaml-cpp ---------------------------------------------------------------------------------
find_package(yaml-cpp QUIET)
if(TARGET yaml-cpp)
  add_library(imagenet::yaml INTERFACE IMPORTED GLOBAL)
  set_target_properties(imagenet::yaml PROPERTIES INTERFACE_LINK_LIBRARIES yaml-cpp)
else()
  imagenet_find_library(yaml yaml-cpp/yaml.h yaml-cpp)
endif()

# --- spdlog (built against Debian's fmt 9) ----------------------------------------------------
find_package(spdlog QUIET)
if(TARGET spdlog::spdlog)
  add_library(imagenet::spdlog INTERFACE IMPORTED GLOBAL)
  set_target_properties(imagenet::spdlog PROPERTIES INTERFACE_LINK_LIBRARIES spdlog::spdlog)
else()
  imagenet_find_library(spdlog spdlog/spdlog.h spdlog EXTRA_LIBS fmt)
  set_property(TARGET imagenet::spdlog APPEND PROPERTY
    INTERFACE_COMPILE_DEFINITIONS SPDLOG_FMT_EXTERNAL SPDLOG_COMPILED_LIB SPDLOG_SHARED_LIB)
endif()

# --- CLI11 (header-only) ----------------------------------------------------------------------
find_package(CLI11 QUIET)
if(TARGET CLI11::CLI11)
  add_library(imagenet::cli11 INTERFACE IMPORTED GLOBAL)
  set_target_properties(imagenet::cli11 PROPERTIES INTERFACE_LINK_LIBRARIES CLI11::CLI11)
else()
  find_path(CLI11_INCLUDE_DIR CLI/CLI.hpp REQUIRED)
  add_library(imagenet::cli11 INTERFACE IMPORTED GLOBAL)
  set_target_properties(imagenet::cli11 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${CLI11_INCLUDE_DIR})
endif()

# --- OpenCV core + imgproc --------------------------------------------------------------------
# Debian's libopencv-core-dev/libopencv-imgproc-dev carry no CMake package (libopencv-dev does,
# but pulls in every module), so fall back to finding the two libraries by hand.
find_package(OpenCV QUIET COMPONENTS core imgproc)
if(OpenCV_FOUND)
  add_library(imagenet::opencv INTERFACE IMPORTED GLOBAL)
  set_target_properties(imagenet::opencv PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${OpenCV_INCLUDE_DIRS}"
    INTERFACE_LINK_LIBRARIES "opencv_core;opencv_imgproc")
else()
  imagenet_find_library(opencv opencv2/core.hpp opencv_core SUFFIXES opencv4
                        ARCH_HEADER opencv2/cvconfig.h EXTRA_LIBS opencv_imgproc)
endif()

# --- libjpeg-turbo (the libjpeg API: partial decode and DCT scaling) -------------------------
imagenet_find_library(jpeg jpeglib.h jpeg ARCH_HEADER jconfig.h EXTRA_LIBS turbojpeg)

# --- stb (header-only PNG decode/encode) ------------------------------------------------------
find_path(STB_INCLUDE_DIR stb_image.h PATH_SUFFIXES stb REQUIRED)
add_library(imagenet::stb INTERFACE IMPORTED GLOBAL)
set_target_properties(imagenet::stb PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${STB_INCLUDE_DIR})

# --- libcurl, expat, OpenSSL's libcrypto: the S3 client (only in src/s3) ---------------------
# Debian's libcurl4-openssl-dev (SigV4 signing since 7.75; Debian 12 has 7.88), libexpat1-dev
# for ListObjectsV2's XML, libssl-dev for SHA-256 and MD5 (libcurl already links libcrypto).
find_package(CURL 7.75 REQUIRED)
find_package(EXPAT REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)

# --- protobuf lite (TensorBoard event files; only src/logging/event_file.cpp sees it) ---------
# CMake's FindProtobuf: Debian's libprotobuf-dev ships no CMake package. LibTorch wheels build
# their own protobuf with hidden symbols, so the system's does not clash with it.
find_package(Protobuf REQUIRED)
if(NOT TARGET protobuf::libprotobuf-lite OR NOT Protobuf_PROTOC_EXECUTABLE)
  message(FATAL_ERROR "protobuf: need libprotobuf-lite and protoc (Debian: libprotobuf-dev, "
                      "protobuf-compiler). Run scripts/install_deps.sh.")
endif()
add_library(imagenet::protobuf INTERFACE IMPORTED GLOBAL)
set_target_properties(imagenet::protobuf PROPERTIES INTERFACE_LINK_LIBRARIES protobuf::libprotobuf-lite)

# --- nlohmann/json (header-only; safetensors headers) ------------------------------------------
find_package(nlohmann_json 3 QUIET)
if(TARGET nlohmann_json::nlohmann_json)
  add_library(imagenet::json INTERFACE IMPORTED GLOBAL)
  set_target_properties(imagenet::json PROPERTIES INTERFACE_LINK_LIBRARIES nlohmann_json::nlohmann_json)
else()
  find_path(JSON_INCLUDE_DIR nlohmann/json.hpp)
  if(NOT JSON_INCLUDE_DIR)
    message(FATAL_ERROR "Could not find nlohmann/json.hpp. Run scripts/install_deps.sh "
                        "(nlohmann-json3-dev), or pass its prefix in CMAKE_PREFIX_PATH.")
  endif()
  add_library(imagenet::json INTERFACE IMPORTED GLOBAL)
  set_target_properties(imagenet::json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${JSON_INCLUDE_DIR})
endif()

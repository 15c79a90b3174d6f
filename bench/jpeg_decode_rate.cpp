// The reference rate of bench/data_loader.sh: how many of the given JPEG files libjpeg-turbo
// decodes whole per second and per thread, with its defaults (accurate integer IDCT, fancy
// upsampling, RGB output), the files already in memory. Nothing of imagenet_train is used.
//   bench_jpeg_decode_rate --threads 2 --seconds 5 FILE...
#include <cstddef>
#include <cstdio>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace {

struct ErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
};

void on_error(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<ErrorManager*>(cinfo->err)->jump, 1);
}

/// Decodes one file whole into `rgb`; false on a decoding error.
bool decode(jpeg_decompress_struct& cinfo, ErrorManager& error, const std::vector<uint8_t>& file,
            std::vector<uint8_t>& rgb) {
  if (setjmp(error.jump)) {
    jpeg_abort_decompress(&cinfo);
    return false;
  }
  jpeg_mem_src(&cinfo, file.data(), static_cast<unsigned long>(file.size()));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const size_t stride = static_cast<size_t>(cinfo.output_width) * 3;
  rgb.resize(stride * cinfo.output_height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = rgb.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  double seconds = 5;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::atof(argv[++i]);
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.empty() || threads < 1) {
    std::fprintf(stderr, "usage: %s [--threads N] [--seconds S] FILE...\n", argv[0]);
    return 2;
  }
  std::vector<std::vector<uint8_t>> files;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    files.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::atomic<long long> decoded{0}, failed{0};
  std::atomic<bool> stop{false};
  auto work = [&](int t) {
    jpeg_decompress_struct cinfo{};
    ErrorManager error{};
    cinfo.err = jpeg_std_error(&error.base);
    error.base.error_exit = on_error;
    jpeg_create_decompress(&cinfo);
    std::vector<uint8_t> rgb;
    // Each thread walks the files from its own starting point.
    for (size_t i = t * files.size() / threads; !stop; i = (i + 1) % files.size()) {
      if (decode(cinfo, error, files[i], rgb)) {
        ++decoded;
      } else {
        ++failed;
      }
    }
    jpeg_destroy_decompress(&cinfo);
  };
  auto cpu_seconds = [] {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
           usage.ru_stime.tv_usec / 1e6;
  };
  const double cpu_start = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work, t);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_start;
  std::printf(
      "jpeg-decode: files=%zu threads=%d images=%lld seconds=%.2f img_per_sec=%.1f "
      "img_per_sec_per_thread=%.1f cpu_util=%.2f img_per_cpu_sec=%.1f failed=%lld\n",
      files.size(), threads, decoded.load(), elapsed, decoded / elapsed,
      decoded / elapsed / threads, cpu / elapsed, decoded / cpu, failed.load());
  return failed > 0 ? 1 : 0;
}

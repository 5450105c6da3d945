#include "tests/support/pty_child.h"

#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <stdexcept>

namespace iommu_sim::test {

PtyChild::PtyChild(const std::vector<std::string>& args) {
  std::vector<std::string> argv_strings{IOMMU_SIM_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);
  pid_ = forkpty(&master_, nullptr, nullptr, nullptr);
  if (pid_ < 0) throw std::runtime_error("forkpty failed");
  if (pid_ == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
}

PtyChild::~PtyChild() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  if (master_ >= 0) close(master_);
}

bool PtyChild::read_some() {
  std::array<char, 4096> buf{};
  for (;;) {
    const ssize_t n = read(master_, buf.data(), buf.size());
    if (n > 0) {
      output_.append(buf.data(), static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;  // 0, or EIO once the child closed its side
  }
}

bool PtyChild::read_until(const std::string& text, std::size_t from) {
  while (output_.find(text, from) == std::string::npos) {
    if (!read_some()) return false;
  }
  return true;
}

void PtyChild::signal(int sig) const {
  kill(pid_, sig);
}

int PtyChild::wait() {
  while (read_some()) {
  }
  int status = 0;
  waitpid(pid_, &status, 0);
  reaped_ = true;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace iommu_sim::test

// Test support: runs the iommu-sim binary built with the tests with its
// stdin, stdout and stderr on a pseudo-terminal, as in an interactive
// shell (isatty is true), and lets the test read what it prints, wait for
// a text (rather than sleep) and signal it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace iommu_sim::test {

class PtyChild {
 public:
  explicit PtyChild(const std::vector<std::string>& args);
  // Kills (SIGKILL) and reaps the child if the test did not wait for it.
  ~PtyChild();
  PtyChild(const PtyChild&) = delete;
  PtyChild& operator=(const PtyChild&) = delete;

  // Reads until `text` has appeared in the output since `from` (true), or
  // the child closed the terminal first (false).
  bool read_until(const std::string& text, std::size_t from = 0);
  void signal(int sig) const;
  // Reads to the end and reaps the child: its exit code, or 128 + the
  // signal that ended it.
  int wait();
  // Everything the child printed so far (the terminal turns "\n" into
  // "\r\n").
  const std::string& output() const { return output_; }

 private:
  // Appends what the terminal has; false at its end.
  bool read_some();

  pid_t pid_ = -1;
  int master_ = -1;
  bool reaped_ = false;
  std::string output_;
};

}  // namespace iommu_sim::test

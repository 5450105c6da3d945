#include "apps/sweep_jobs.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "apps/sweep_plan.h"

namespace iommu_sim {

namespace {

// Starts `sh -c command` with stdout and stderr in `log`; -1 on failure.
pid_t spawn(const std::string& command, const std::filesystem::path& log, std::string& error) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  std::string sh = "sh", c = "-c", cmd = command;
  char* argv[] = {sh.data(), c.data(), cmd.data(), nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    error = "cannot start /bin/sh: " + std::string(std::strerror(rc));
    return -1;
  }
  return pid;
}

}  // namespace

SweepJobsResult run_sweep_jobs(const std::filesystem::path& dir, unsigned jobs, bool resume,
                               const std::function<void(std::size_t n)>& finished) {
  SweepJobsResult result;
  std::ifstream list(dir / "commands.txt");
  std::vector<std::string> commands;
  for (std::string line; std::getline(list, line);) commands.push_back(line);
  if (commands.empty()) {
    result.error = "no commands in " + (dir / "commands.txt").string();
    return result;
  }
  std::vector<std::size_t> todo;
  for (std::size_t n = 0; n < commands.size(); ++n) {
    if (resume && point_done(dir, n)) {
      ++result.skipped;
      continue;
    }
    std::error_code ec;
    std::filesystem::remove(point_dir(dir, n) / "stats.json", ec);
    todo.push_back(n);
  }
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0;
  while (next < todo.size() || !running.empty()) {
    while (next < todo.size() && running.size() < jobs && result.error.empty()) {
      const std::size_t n = todo[next++];
      const pid_t pid = spawn(commands[n], point_dir(dir, n) / "run.log", result.error);
      if (pid < 0) break;
      running.emplace(pid, n);
    }
    if (running.empty()) break;
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      result.error = "waitpid: " + std::string(std::strerror(errno));
      break;
    }
    const auto it = running.find(pid);
    if (it == running.end()) continue;
    const std::size_t n = it->second;
    running.erase(it);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) result.failed.push_back(n);
    finished(n);
  }
  return result;
}

}  // namespace iommu_sim

// Sweeps in many processes (--jobs), resumed after an interruption, and
// as a plan that GNU parallel or a Slurm cluster (one machine's, started by
// scripts/slurm_local.sh) runs and `sweep collect` merges: every way gives
// the CSV of the serial run, byte for byte.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/cli.h"
#include "tests/support/files.h"

namespace iommu_sim::test {
namespace {

namespace fs = std::filesystem;

// This test's own name for a temporary file or directory: ctest runs the
// tests of this file at the same time, each in a process of its own.
std::string own(const std::string& name) {
  return name + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
}

// Four points of 3 000 DMAs: the IOTLB's sets and ways.
std::string sweep_file() {
  return write_temp(own("iommu_sim_jobs_sweep") + ".json", R"({
    "base": ")" + std::string(IOMMU_SIM_SOURCE_DIR) + R"(/configs/pages_4kib_random_64mib.json",
    "sweep": {"iommu.iotlb.sets": [1, 4], "iommu.iotlb.ways": [2, 8]},
    "stats": ["iommu.iotlb.hit_rate", "iommu.translation_latency.p50", "simulated_time_ns"]})");
}

const std::string kSmall = " --set workloads[0].count=3000";

// A command's stdout from the CSV's header on (SystemC prints its banner
// first).
std::string csv_of(const std::string& output) {
  const std::size_t header = output.find("point,");
  return header == std::string::npos ? output : output.substr(header);
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / own(name);
  fs::remove_all(dir);
  return dir;
}

// The serial run's sweep.csv (its stdout also carries SystemC's banner),
// which every other way must reproduce.
const std::string& serial_csv() {
  static const std::string csv = [] {
    const fs::path dir = fresh_dir("iommu_sim_serial");
    const CommandResult r =
        run_command("sweep " + sweep_file() + kSmall + " --out " + dir.string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return read_file(dir / "sweep.csv");
  }();
  return csv;
}

TEST(SweepJobs, TwoJobsGiveTheSerialCsvByteForByte) {
  ASSERT_NE(serial_csv().find("\n3,4,8,"), std::string::npos) << serial_csv();
  const fs::path dir = fresh_dir("iommu_sim_jobs");
  const CommandResult r = run_command("sweep " + sweep_file() + kSmall + " --jobs 2 --out " +
                                      dir.string() + " 2>/dev/null");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(csv_of(r.output), serial_csv());
  EXPECT_EQ(read_file(dir / "sweep.csv"), serial_csv());
  // Without --out the points live in a directory of their own, then go.
  const CommandResult no_out =
      run_command("sweep " + sweep_file() + kSmall + " --jobs 3 2>/dev/null");
  EXPECT_EQ(csv_of(no_out.output), serial_csv());
}

TEST(SweepJobs, ResumeRunsOnlyThePointsThatDidNotFinish) {
  const fs::path dir = fresh_dir("iommu_sim_resume");
  const std::string run = "sweep " + sweep_file() + kSmall + " --jobs 2 --out " + dir.string();
  ASSERT_EQ(run_command(run + " 2>/dev/null").exit_code, 0);
  // As an interruption leaves them: point 1 never wrote its stats, point 2
  // was stopped (SIGINT writes "complete": false).
  fs::remove(dir / "point-1" / "stats.json");
  std::string stopped = read_file(dir / "point-2" / "stats.json");
  stopped.replace(stopped.find("\"complete\": true"), 16, "\"complete\": false");
  std::ofstream(dir / "point-2" / "stats.json") << stopped;
  const auto kept_at = fs::last_write_time(dir / "point-0" / "stats.json");
  const std::string kept = read_file(dir / "point-3" / "stats.json");
  const CommandResult r = run_command(run + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resumed: 2 of 4 points had run and were kept"), std::string::npos)
      << r.output;
  EXPECT_EQ(fs::last_write_time(dir / "point-0" / "stats.json"), kept_at);
  EXPECT_EQ(read_file(dir / "point-3" / "stats.json"), kept);
  EXPECT_EQ(read_file(dir / "sweep.csv"), serial_csv());
  // A changed base makes every kept point stale: all four run again.
  const CommandResult changed =
      run_command("sweep " + sweep_file() +
                  " --set workloads[0].count=2000 --jobs 2 --resume --out " + dir.string());
  EXPECT_EQ(changed.exit_code, 0) << changed.output;
  EXPECT_EQ(changed.output.find("resumed:"), std::string::npos) << changed.output;
  EXPECT_NE(read_file(dir / "sweep.csv"), serial_csv());
}

TEST(SweepJobs, APlanRunByGnuParallelCollectsToTheSerialCsv) {
  const fs::path dir = fresh_dir("iommu_sim_plan");
  const CommandResult plan =
      run_command("sweep plan " + sweep_file() + kSmall + " --out " + dir.string());
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  EXPECT_NE(plan.output.find("4 points planned in"), std::string::npos) << plan.output;
  // commands.txt as it is, the way the docs tell a user to run it.
  const std::string parallel =
      "parallel --will-cite -j 2 < " + (dir / "commands.txt").string() + " > /dev/null 2>&1";
  ASSERT_EQ(std::system(parallel.c_str()), 0);
  const CommandResult collect = run_command("sweep collect " + dir.string() + " 2>/dev/null");
  ASSERT_EQ(collect.exit_code, 0) << collect.output;
  EXPECT_EQ(csv_of(collect.output), serial_csv());
  EXPECT_EQ(read_file(dir / "sweep.csv"), serial_csv());
}

// A Slurm cluster of this one machine, started by the repository's script
// for the test and stopped after it.
class LocalSlurm {
 public:
  explicit LocalSlurm(fs::path dir) : dir_(std::move(dir)) {
    started_ = std::system((script() + " start " + dir_.string() + " > /dev/null").c_str()) == 0;
  }
  ~LocalSlurm() {
    // Appended, not `script() + " stop " + ...`: GCC 12 warns of that
    // wrongly here (a -Warray-bounds false positive).
    std::string stop = script();
    stop += " stop ";
    stop += dir_.string();
    std::system(stop.c_str());
  }
  LocalSlurm(const LocalSlurm&) = delete;
  LocalSlurm& operator=(const LocalSlurm&) = delete;
  bool started() const { return started_; }
  std::string env() const { return "SLURM_CONF=" + (dir_ / "slurm.conf").string(); }

 private:
  static std::string script() { return IOMMU_SIM_SOURCE_DIR "/scripts/slurm_local.sh"; }
  fs::path dir_;
  bool started_ = false;
};

TEST(SweepJobs, APlanRunAsASlurmJobArrayCollectsToTheSerialCsv) {
  const fs::path dir = fresh_dir("iommu_sim_slurm_plan");
  const CommandResult plan = run_command("sweep plan " + sweep_file() + kSmall + " --out " +
                                         dir.string() + " --slurm-time 00:10:00 --slurm-mem 500M");
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  const std::string script = read_file(dir / "sweep.sbatch");
  EXPECT_NE(script.find("#SBATCH --array=0-3\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --time=00:10:00\n#SBATCH --mem=500M\n"), std::string::npos);
  const LocalSlurm slurm(fresh_dir("iommu_sim_slurm"));
  ASSERT_TRUE(slurm.started()) << "scripts/slurm_local.sh start failed (it needs root)";
  // As a user would: sbatch the script; --wait returns when every array
  // task has ended, with their worst exit status.
  const std::string sbatch =
      slurm.env() + " sbatch --wait " + (dir / "sweep.sbatch").string() + " > /dev/null";
  ASSERT_EQ(std::system(sbatch.c_str()), 0);
  const CommandResult collect = run_command("sweep collect " + dir.string() + " 2>/dev/null");
  ASSERT_EQ(collect.exit_code, 0) << collect.output;
  EXPECT_EQ(read_file(dir / "sweep.csv"), serial_csv());
  EXPECT_TRUE(fs::exists(dir / "point-3" / "slurm.log"));
}

TEST(SweepJobs, CollectNamesEveryPointThatHasNotRun) {
  const fs::path dir = fresh_dir("iommu_sim_collect");
  ASSERT_EQ(run_command("sweep plan " + sweep_file() + kSmall + " --out " + dir.string()).exit_code,
            0);
  const CommandResult r = run_command("sweep collect " + dir.string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  for (int n = 0; n < 4; ++n) {
    EXPECT_NE(r.output.find("sweep error: point " + std::to_string(n) + ": has not run"),
              std::string::npos)
        << r.output;
  }
  EXPECT_FALSE(fs::exists(dir / "sweep.csv"));
  const CommandResult no_plan = run_command("sweep collect " + ::testing::TempDir());
  EXPECT_EQ(no_plan.exit_code, 2);
  EXPECT_NE(no_plan.output.find("sweep error: sweep.json: cannot open"), std::string::npos);
}

TEST(SweepJobs, BadJobOptionsAreRefused) {
  EXPECT_EQ(run_command("sweep " + sweep_file() + " --jobs 0").exit_code, 2);
  const CommandResult resume = run_command("sweep " + sweep_file() + " --resume");
  EXPECT_EQ(resume.exit_code, 2);
  EXPECT_NE(resume.output.find("--resume: needs --jobs and --out"), std::string::npos);
  const CommandResult plan = run_command("sweep plan " + sweep_file());
  EXPECT_EQ(plan.exit_code, 2);
  EXPECT_NE(plan.output.find("--out is required"), std::string::npos) << plan.output;
}

}  // namespace
}  // namespace iommu_sim::test

// The launch layer (tuner/include/commtune/launch/launcher.hpp) without MPI: launchers classified
// from fake ones (scripts and symbolic links named as Debian installs them) in a private PATH, the
// command rewritten for each, and run() on small shell commands: exit codes, signals, the time
// limit, the environment and signal forwarding.
#include "commtune/launch/launcher.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace commtune::launch {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

// A directory of fake launchers put first in PATH for the test's duration.
class FakeLaunchers : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("commtune-launch-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "bin");
    // Debian's layout: mpirun -> orterun for Open MPI, mpiexec.hydra for MPICH.
    script("orterun");
    script("mpiexec.hydra");
    script("srun");
    script("app");
    fs::create_symlink("orterun", bin("mpirun.openmpi"));
    fs::create_symlink("mpiexec.hydra", bin("mpirun.mpich"));
    fs::create_symlink("mpirun.openmpi", bin("mpirun"));
    // A launcher of an MPI we cannot tell, under a generic name, in a second directory.
    fs::create_directories(dir_ / "other");
    script("../other/mpiexec");
    const char* path = std::getenv("PATH");
    saved_path_ = path ? path : "";
    setenv("PATH", (bin("").string() + ":" + (dir_ / "other").string() + ":" + saved_path_).c_str(), 1);
  }
  void TearDown() override {
    setenv("PATH", saved_path_.c_str(), 1);
    fs::remove_all(dir_);
  }
  fs::path bin(const std::string& name) const { return dir_ / "bin" / name; }
  void script(const std::string& name) const {
    std::ofstream(bin(name)) << "#!/bin/sh\nexit 0\n";
    fs::permissions(bin(name), fs::perms::owner_all);
  }

  fs::path dir_;
  std::string saved_path_;
};

TEST_F(FakeLaunchers, ClassifiesByTheNameGivenAndTheFileItResolvesTo) {
  EXPECT_EQ(classify("mpirun"), Launcher::OpenMpi);  // through two symbolic links to orterun
  EXPECT_EQ(classify("mpirun.openmpi"), Launcher::OpenMpi);
  EXPECT_EQ(classify(bin("orterun").string()), Launcher::OpenMpi);  // a path, not a PATH search
  EXPECT_EQ(classify("mpirun.mpich"), Launcher::Mpich);
  EXPECT_EQ(classify("mpiexec.hydra"), Launcher::Mpich);
  EXPECT_EQ(classify("srun"), Launcher::Slurm);
  EXPECT_EQ(classify("mpiexec"), Launcher::Other);
  EXPECT_EQ(classify("app"), Launcher::None);  // a singleton
  EXPECT_EQ(classify("no-such-launcher-here"), Launcher::None);
  EXPECT_EQ(classify(""), Launcher::None);
}

TEST_F(FakeLaunchers, ASpyScriptNamedAfterOpenMpiCountsAsOpenMpi) {
  script("spy-openmpi-mpirun");
  EXPECT_EQ(classify(bin("spy-openmpi-mpirun").string()), Launcher::OpenMpi);
}

TEST_F(FakeLaunchers, FindsInPathOnlyExecutableFiles) {
  std::ofstream(bin("not-executable")) << "data\n";
  fs::permissions(bin("not-executable"), fs::perms::owner_read);
  EXPECT_FALSE(find_in_path("not-executable"));
  EXPECT_FALSE(find_in_path("bin"));  // a directory of that name is not a program
  ASSERT_TRUE(find_in_path("srun"));
  EXPECT_EQ(*find_in_path("srun"), bin("srun"));
}

TEST_F(FakeLaunchers, ProgramNamePassesOverOptionsAndTheirValues) {
  EXPECT_EQ(program_name({"mpirun", "-np", "2", "--oversubscribe", "app", "x"}, Launcher::OpenMpi), "app");
  EXPECT_EQ(program_name({"srun", "--mpi=pmix", "-n", "4", bin("app").string()}, Launcher::Slurm), "app");
  EXPECT_EQ(program_name({"app", "-n", "3"}, Launcher::None), "app");
  // No word is an executable: the last word stands for the program.
  EXPECT_EQ(program_name({"mpirun", "-np", "2", "./missing"}, Launcher::Other), "missing");
}

const std::vector<EnvironmentVariable> kVariables{{"LD_PRELOAD", "/lib/libcommtune_pmpi.so"},
                                                  {"COMMTUNE_OUTPUT", "/runs/a b"}};

TEST(WithEnvironment, OpenMpiGetsMinusXWithValuesBeforeTheProgram) {
  const LaunchCommand result = with_environment({"mpirun", "-np", "2", "./app"}, Launcher::OpenMpi, kVariables);
  EXPECT_EQ(result.argv, (Argv{"mpirun", "-x", "LD_PRELOAD=/lib/libcommtune_pmpi.so", "-x", "COMMTUNE_OUTPUT=/runs/a b",
                               "-np", "2", "./app"}));
  EXPECT_TRUE(result.environment.empty());  // nothing for mpirun itself
}

TEST(WithEnvironment, SlurmExportsAllPlusTheVariables) {
  const LaunchCommand result = with_environment({"srun", "-n", "2", "./app"}, Launcher::Slurm, kVariables);
  EXPECT_EQ(result.argv, (Argv{"srun", "--export=ALL,LD_PRELOAD=/lib/libcommtune_pmpi.so,COMMTUNE_OUTPUT=/runs/a b",
                               "-n", "2", "./app"}));
  EXPECT_TRUE(result.environment.empty());
}

TEST(WithEnvironment, SlurmCarriesAValueWithACommaInItsOwnEnvironment) {
  const LaunchCommand result = with_environment({"srun", "./app"}, Launcher::Slurm,
                                                {{"LD_PRELOAD", "/lib/x.so"}, {"COMMTUNE_COMMAND", "srun ./app a,b"}});
  EXPECT_EQ(result.argv, (Argv{"srun", "--export=ALL,LD_PRELOAD=/lib/x.so", "./app"}));
  ASSERT_EQ(result.environment.size(), 1u);
  EXPECT_EQ(result.environment[0].name, "COMMTUNE_COMMAND");
  EXPECT_EQ(result.environment[0].value, "srun ./app a,b");
}

TEST(WithEnvironment, NothingToExportLeavesTheCommandAlone) {
  EXPECT_EQ(with_environment({"srun", "./app"}, Launcher::Slurm, {}).argv, (Argv{"srun", "./app"}));
  EXPECT_EQ(with_environment({"mpirun", "./app"}, Launcher::OpenMpi, {}).argv, (Argv{"mpirun", "./app"}));
  EXPECT_TRUE(with_environment({}, Launcher::OpenMpi, kVariables).argv.empty());
}

TEST(WithEnvironment, HydraGetsGenvNameValue) {
  const LaunchCommand result = with_environment({"mpiexec.hydra", "-n", "2", "./app"}, Launcher::Mpich, kVariables);
  EXPECT_EQ(result.argv, (Argv{"mpiexec.hydra", "-genv", "LD_PRELOAD", "/lib/libcommtune_pmpi.so", "-genv",
                               "COMMTUNE_OUTPUT", "/runs/a b", "-n", "2", "./app"}));
  EXPECT_TRUE(result.environment.empty());
}

TEST(WithEnvironment, ASingletonAndAnUnknownLauncherGetTheEnvironment) {
  for (const Launcher launcher : {Launcher::None, Launcher::Other}) {
    const LaunchCommand result = with_environment({"x", "./app"}, launcher, kVariables);
    EXPECT_EQ(result.argv, (Argv{"x", "./app"})) << to_string(launcher);
    ASSERT_EQ(result.environment.size(), 2u) << to_string(launcher);
    EXPECT_EQ(result.environment[1].name, "COMMTUNE_OUTPUT");
    EXPECT_EQ(result.environment[1].value, "/runs/a b");
  }
}

LaunchCommand shell(const std::string& script, std::vector<EnvironmentVariable> environment = {}) {
  return {{"/bin/sh", "-c", script}, std::move(environment)};
}

TEST(Run, PassesTheExitCodeThrough) {
  EXPECT_EQ(run(shell("exit 0")).exit_code, 0);
  EXPECT_EQ(run(shell("exit 3")).exit_code, 3);
  EXPECT_FALSE(run(shell("exit 3")).timed_out);
}

TEST(Run, ASignalGives128PlusItsNumber) {
  EXPECT_EQ(run(shell("kill -KILL $$")).exit_code, 128 + SIGKILL);
  EXPECT_EQ(run(shell("kill -SEGV $$")).exit_code, 128 + SIGSEGV);
}

TEST(Run, AMissingProgramGives127) {
  EXPECT_EQ(run({{"/no/such/program"}, {}}).exit_code, kCannotStartExitCode);
  EXPECT_EQ(run({{}, {}}).exit_code, kCannotStartExitCode);
}

TEST(Run, SetsTheEnvironmentOfTheChildOnly) {
  unsetenv("COMMTUNE_LAUNCH_TEST");
  EXPECT_EQ(run(shell("test \"$COMMTUNE_LAUNCH_TEST\" = 'a b,c'", {{"COMMTUNE_LAUNCH_TEST", "a b,c"}})).exit_code, 0);
  EXPECT_EQ(std::getenv("COMMTUNE_LAUNCH_TEST"), nullptr);
  // An override replaces the inherited value rather than adding a second one.
  setenv("COMMTUNE_LAUNCH_TEST", "old", 1);
  EXPECT_EQ(run(shell("test \"$COMMTUNE_LAUNCH_TEST\" = new && test $(env | grep -c ^COMMTUNE_LAUNCH_TEST=) = 1",
                      {{"COMMTUNE_LAUNCH_TEST", "new"}}))
                .exit_code,
            0);
  unsetenv("COMMTUNE_LAUNCH_TEST");
}

TEST(Run, StopsACommandPastItsTimeLimit) {
  RunLimits limits;
  limits.time_limit = std::chrono::seconds(1);
  limits.time_limit_text = "1s";
  limits.program = "sleep";
  const auto start = std::chrono::steady_clock::now();
  const RunResult result = run({{"sleep", "30"}, {}}, limits);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, kTimeoutExitCode);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Run, KillsACommandThatIgnoresSigterm) {
  RunLimits limits;
  limits.time_limit = std::chrono::seconds(1);
  limits.kill_after = std::chrono::seconds(1);
  // exec: the shell becomes sleep, which keeps SIGTERM ignored; SIGKILL is the only way out.
  const auto start = std::chrono::steady_clock::now();
  const RunResult result = run(shell("trap '' TERM; exec sleep 20"), limits);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, kTimeoutExitCode);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Run, AFinishedCommandWithinItsLimitKeepsItsExitCode) {
  RunLimits limits;
  limits.time_limit = std::chrono::seconds(30);
  const RunResult result = run(shell("exit 5"), limits);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 5);
}

TEST(Run, ForwardsSignalsToTheCommandAndRestoresOurHandlers) {
  const fs::path ready = fs::temp_directory_path() / ("commtune-launch-ready-" + std::to_string(getpid()));
  fs::remove(ready);
  // Once the command is ready to catch SIGUSR1, send it to ourselves: it must reach the command.
  std::atomic<bool> returned = false;  // SIGUSR1 after run() returned would end this test program
  std::thread sender([&ready, &returned] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!fs::exists(ready) && !returned && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!returned) kill(getpid(), SIGUSR1);
  });
  const RunResult result = run(shell("trap 'kill $!; exit 7' USR1; touch '" + ready.string() + "'; sleep 10 & wait"));
  returned = true;
  sender.join();
  fs::remove(ready);
  EXPECT_EQ(result.exit_code, 7);
  struct sigaction now {};
  sigaction(SIGUSR1, nullptr, &now);
  EXPECT_EQ(now.sa_handler, SIG_DFL);
}

}  // namespace
}  // namespace commtune::launch

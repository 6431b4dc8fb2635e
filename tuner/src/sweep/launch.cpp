// Building a sweep's launch command and running one launch of the driver.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>

#include "commtune/tuner/sweep.hpp"
#include "sweep_internal.hpp"

namespace commtune::tuner::sweep_detail {
namespace {

// Time for mpirun/srun to start the ranks and MPI_Init, and to tear the job down.
constexpr double kStartupMargin_s = 60;
// Per evaluation besides its measuring cap: the kernel's set-up and the warm-up iterations.
constexpr double kEvaluationAllowance_s = 10;
// A launch aims to stay within this many seconds of measuring caps, so that a launch that dies
// loses little and progress is seen; at most this many evaluations in one launch.
constexpr double kLaunchTarget_s = 120;
constexpr std::size_t kMaxEvaluationsPerLaunch = 64;

std::vector<launch::EnvironmentVariable> transport_variables(const Transport* transport, bool mca_as_environment) {
  std::vector<launch::EnvironmentVariable> variables;
  if (!transport) return variables;
  if (mca_as_environment) {
    for (const auto& [name, value] : transport->mca) variables.push_back({"OMPI_MCA_" + name, value});
  }
  for (const auto& [name, value] : transport->env) variables.push_back({name, value});
  return variables;
}

}  // namespace

std::optional<double> EvaluationAnswer::value_s() const {
  if (state != EvaluationState::Measured || samples_s.empty()) return std::nullopt;
  return median(samples_s);
}

std::string now_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

Configuration transport_settings(const Transport* transport) {
  Configuration settings;
  if (!transport) return settings;
  for (const auto& [name, value] : transport->mca) settings[name] = value;
  for (const auto& [name, value] : transport->env) settings[name] = value;
  return settings;
}

LaunchSettings launch_settings(const SweepSpec& spec, const Transport* transport) {
  std::vector<std::string> environment = current_environment();
  std::vector<std::string> args = spec.launcher.args;
  if (transport) {
    for (const auto& [name, value] : transport->env) environment.push_back(name + "=" + value);
    for (const auto& [name, value] : transport->mca) {
      if (spec.launcher.kind == LauncherKind::Srun) {
        environment.push_back("OMPI_MCA_" + name + "=" + value);
      } else {
        args.insert(args.end(), {"--mca", name, value});
      }
    }
  }
  return collect_launch_settings(environment, args);
}

std::size_t evaluations_per_launch(const SampleTarget& target) {
  const double per_evaluation_s = target.max_time_s + 1;
  return std::clamp<std::size_t>(std::size_t(kLaunchTarget_s / per_evaluation_s), 1, kMaxEvaluationsPerLaunch);
}

std::chrono::seconds launch_time_limit(const std::vector<Evaluation>& evaluations) {
  double limit_s = kStartupMargin_s;
  for (const Evaluation& evaluation : evaluations) limit_s += 2 * evaluation.target.max_time_s + kEvaluationAllowance_s;
  return std::chrono::seconds(static_cast<long long>(std::ceil(limit_s)));
}

DriverLaunch run_driver(const SweepSpec& spec, const std::string& mpirun, const Transport* transport, int ranks,
                        const std::filesystem::path& driver, const DriverPlan& plan,
                        const std::filesystem::path& plan_path, const std::filesystem::path& output_path,
                        std::chrono::seconds time_limit) {
  {
    std::ofstream file(plan_path, std::ios::binary | std::ios::trunc);
    file << plan_to_json(plan);
    if (!file.flush()) throw std::runtime_error(fmt::format("cannot write the plan {}", plan_path.string()));
  }
  std::error_code ignored;
  std::filesystem::remove(output_path, ignored);  // a result left by an earlier launch must not be read
  const launch::LaunchCommand command =
      build_launch_command(spec, mpirun, transport, ranks, driver, driver_arguments(plan_path, output_path));
  DriverLaunch result;
  result.command = command.argv;
  result.started_at_utc = now_utc();
  launch::RunLimits limits;
  limits.time_limit = time_limit;
  limits.who = "commtune sweep";
  limits.time_limit_text = fmt::format("{} s", time_limit.count());
  limits.program = "commtune-sweep-driver";
  const auto started = std::chrono::steady_clock::now();
  result.run = launch::run(command, limits);
  result.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (std::filesystem::exists(output_path, ignored)) {
    try {
      result.output = read_driver_output(output_path);
    } catch (const std::exception& e) {
      result.read_error = e.what();
    }
  }
  // The wrong srun --mpi plugin starts N one-rank worlds that exit 0 and leave one of them's
  // results: nothing measured in a world of another size may be recorded as N ranks.
  if (result.output.ready && result.output.ready->ranks != ranks) {
    result.read_error =
        fmt::format("the driver ran in a world of {} rank(s), not {} (with srun: the wrong --mpi plugin?)",
                    result.output.ready->ranks, ranks);
    result.output = {};
  }
  return result;
}

std::optional<Calibration> run_calibration(const SweepSpec& spec, const std::string& mpirun, const Transport* transport,
                                           int ranks, const std::filesystem::path& driver,
                                           const std::filesystem::path& output_path, std::string& error,
                                           launch::RunResult& run) {
  std::error_code ignored;
  std::filesystem::remove(output_path, ignored);
  launch::RunLimits limits;
  limits.time_limit = std::chrono::seconds(static_cast<long long>(kStartupMargin_s * 2));
  limits.who = "commtune sweep";
  limits.time_limit_text = fmt::format("{} s", limits.time_limit->count());
  limits.program = "commtune-sweep-driver --calibrate";
  run = launch::run(build_launch_command(spec, mpirun, transport, ranks, driver, calibration_arguments(output_path)),
                    limits);
  try {
    if (run.exit_code != 0) throw std::runtime_error(fmt::format("exit {}", run.exit_code));
    return read_calibration(output_path);
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace commtune::tuner::sweep_detail

namespace commtune::tuner {

launch::LaunchCommand build_launch_command(const SweepSpec& spec, const std::string& mpirun, const Transport* transport,
                                           int ranks, const std::filesystem::path& driver,
                                           const std::vector<std::string>& driver_args) {
  const bool srun = spec.launcher.kind == LauncherKind::Srun;
  std::vector<std::string> argv{srun ? "srun" : mpirun};
  argv.insert(argv.end(), spec.launcher.args.begin(), spec.launcher.args.end());
  const launch::Launcher launcher = launch::classify(argv[0]);
  // --mca is Open MPI's; other launchers get the parameters as OMPI_MCA_* variables, which Open
  // MPI ranks read the same way.
  const bool mca_options = !srun && (launcher == launch::Launcher::OpenMpi || launcher == launch::Launcher::Other);
  if (transport && mca_options) {
    for (const auto& [name, value] : transport->mca) argv.insert(argv.end(), {"--mca", name, value});
  }
  if (!spec.launcher.hostfile.empty())
    argv.insert(argv.end(), {srun ? "--nodefile" : "--hostfile", spec.launcher.hostfile});
  argv.insert(argv.end(), {srun ? "-n" : "-np", std::to_string(ranks), driver.string()});
  argv.insert(argv.end(), driver_args.begin(), driver_args.end());
  return launch::with_environment(std::move(argv), launcher,
                                  sweep_detail::transport_variables(transport, !mca_options));
}

}  // namespace commtune::tuner

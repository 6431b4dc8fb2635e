#include "commtune/tuner/configuration.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace commtune::tuner {

std::string to_canonical_json(const Configuration& configuration) {
  return nlohmann::json(configuration).dump();  // std::map: keys already sorted
}

Configuration configuration_from_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<Configuration>();
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(
        fmt::format("configuration '{}' is not a JSON object of string values: {}", text, e.what()));
  }
}

}  // namespace commtune::tuner

// commtune-sweep-driver: the built-in kernels measured as a sweep's plan says (driver.hpp).
#include "driver.hpp"

int main(int argc, char** argv) { return commtune::tuner::driver::run_driver(argc, argv); }

#!/bin/bash
# Installs the commtune build into a fresh prefix, builds tests/install/consumer against it with
# find_package(commtune), runs it, and checks the installed `commtune` CLI.
#
# usage: install_and_consume.sh CMAKE BUILD_DIR CONSUMER_SOURCE WORK_DIR VERSION MPI_FLAVOUR \
#                               [-- extra cmake arguments for the consumer (compilers, generator)]
set -u
if [ $# -lt 6 ]; then
  echo "usage: $0 CMAKE BUILD_DIR CONSUMER_SOURCE WORK_DIR VERSION MPI_FLAVOUR [-- cmake args...]" >&2
  exit 2
fi
cmake=$1 build=$2 consumer=$3 work=$4 version=$5 flavour=$6
shift 6
[ "${1-}" = "--" ] && shift
failed=0
fail() { echo "install: FAILED: $*" >&2; failed=1; }
die() { echo "install: FAILED: $*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work" || die "cannot create $work"
prefix=$work/prefix
# A user's environment does not point at the build tree: nothing may leak from it.
unset COMMTUNE_PRELOAD COMMTUNE_KERNEL_RUNNER LD_PRELOAD

# 1. Install.
if ! "$cmake" --install "$build" --prefix "$prefix" > "$work/install.log" 2>&1; then
  cat "$work/install.log" >&2
  die "cmake --install $build --prefix $prefix failed"
fi
for file in bin/commtune lib/libcommtune_pmpi.so lib/cmake/commtune/commtuneConfig.cmake \
            lib/cmake/commtune/commtuneConfigVersion.cmake lib/cmake/commtune/commtuneTargets.cmake \
            include/commtune/kernels/kernel.hpp include/commtune/kernels/params.hpp; do
  [ -e "$prefix/$file" ] || fail "$file was not installed"
done
# Every header that an installed header includes with "commtune/..." must be installed too.
if [ -d "$prefix/include/commtune" ]; then
  while IFS= read -r included; do
    [ -e "$prefix/include/$included" ] || fail "an installed header includes $included, which is not installed"
  done < <(grep -rhoE '#include +"commtune/[^"]+"' "$prefix/include" | sed -E 's/.*"(commtune\/[^"]+)"/\1/' | sort -u)
fi

# 2. A separate project: find_package(commtune), link commtune::kernels, check commtune::pmpi.
if ! "$cmake" -S "$consumer" -B "$work/consumer" "-DCMAKE_PREFIX_PATH=$prefix" "$@" \
     > "$work/consumer-configure.log" 2>&1; then
  cat "$work/consumer-configure.log" >&2
  die "configuring the consumer project with find_package(commtune) failed (log above)"
fi
grep -E 'commtune' "$work/consumer-configure.log"
if ! "$cmake" --build "$work/consumer" > "$work/consumer-build.log" 2>&1; then
  cat "$work/consumer-build.log" >&2
  die "building the consumer project against commtune::kernels failed (log above)"
fi
if ! "$work/consumer/consumer" > "$work/consumer.out" 2> "$work/consumer.err"; then
  cat "$work/consumer.out" "$work/consumer.err" >&2
  die "the consumer program failed"
fi
cat "$work/consumer.out"
consumer_kernels=$(sed -n 's/^kernel //p' "$work/consumer.out")
[ -n "$consumer_kernels" ] || fail "the consumer listed no kernels"
real_prefix=$(realpath "$prefix")
pmpi=$(sed -n 's/^pmpi //p' "$work/consumer.out")
case "$(realpath -m "$pmpi")" in
  "$real_prefix"/*) ;;
  *) fail "\$<TARGET_FILE:commtune::pmpi> is $pmpi, outside the install prefix $prefix" ;;
esac
package_mpi=$(sed -n 's/^package-mpi //p' "$work/consumer.out")
[ "$package_mpi" = "$flavour" ] || fail "the package config says commtune_MPI='$package_mpi', not '$flavour'"
mpi=$(sed -n 's/^mpi //p' "$work/consumer.out")
case "$flavour" in
  openmpi) pattern='Open MPI' ;;
  mpich) pattern='MPICH' ;;
  *) pattern='.' ;;
esac
echo "$mpi" | grep -q "$pattern" ||
  fail "find_package(commtune) linked the consumer against '$mpi', not the $flavour commtune was built with"

# 3. The installed CLI finds its own library in the install tree.
cd "$work" || die "cannot cd to $work"
preload=$("$prefix/bin/commtune" preload) || fail "installed 'commtune preload' exited with status $?"
echo "installed commtune preload: $preload"
case "$preload" in
  "$real_prefix"/*|"$prefix"/*) ;;
  *) fail "installed 'commtune preload' printed '$preload', which is not inside $prefix" ;;
esac
[ -f "$preload" ] || fail "installed 'commtune preload' printed '$preload', which does not exist"
version_line=$("$prefix/bin/commtune" --version) || fail "installed 'commtune --version' exited with status $?"
echo "installed commtune --version: $version_line"
[ "$version_line" = "commtune $version (built against $flavour)" ] ||
  fail "installed 'commtune --version' printed '$version_line', expected 'commtune $version (built against $flavour)'"

# 4. The installed `commtune kernels --json` (when the CLI has it) lists the same kernels.
if "$prefix/bin/commtune" --help | grep -qE '^ +kernels( |$)'; then
  cli_kernels=$("$prefix/bin/commtune" kernels --json |
                python3 -c 'import json,sys; print("\n".join(k["name"] for k in json.load(sys.stdin)["kernels"]))') ||
    fail "installed 'commtune kernels --json' failed or printed invalid JSON"
  [ "$cli_kernels" = "$consumer_kernels" ] ||
    fail "the installed CLI lists kernels '$(echo $cli_kernels)', the consumer '$(echo $consumer_kernels)'"
  echo "installed commtune kernels --json: $(echo $cli_kernels)"
fi
# `commtune kernel` starts commtune-kernel-run from its own bin/.
if "$prefix/bin/commtune" --help | grep -qE '^ +kernel( |$)'; then
  [ -x "$prefix/bin/commtune-kernel-run" ] || fail "bin/commtune-kernel-run (needed by 'commtune kernel') was not installed"
fi
# `commtune sweep` starts commtune-sweep-driver from the same bin/.
[ -x "$prefix/bin/commtune-sweep-driver" ] || fail "bin/commtune-sweep-driver (needed by 'commtune sweep') was not installed"

[ $failed -eq 0 ] && echo "install: OK (prefix $prefix)"
exit $failed

#!/bin/sh
# Removes leftovers of crashed real-network test runs (tests/e2e/support/netns.ts):
# `rmt-<pid36>-<id>-{a,r,b}` namespaces (and the processes inside them), the wrapper-script
# temp dirs `$TMPDIR/rmt-<pid36>-<id>-*`, and the host
# `blackhole 10.200.0.0/16 metric <pid>` routes, for owner processes that are gone.
# NetnsLab.create() does the same at every start; this is for a box after a crash.
#   --all   also remove labs whose owner is still running (stops their tests).
# Needs root.
set -eu
all=0
[ "${1:-}" = "--all" ] && all=1

alive() {
  [ "$1" -gt 0 ] 2>/dev/null && kill -0 "$1" 2>/dev/null || return 1
  case "$(ps -o stat= -p "$1" 2>/dev/null)" in Z*) return 1 ;; esac
}

for ns in $(ip netns list | awk '{print $1}' | grep '^rmt-' || true); do
  owner36=$(echo "$ns" | sed -n 's/^rmt-\([0-9a-z]*\)-[0-9a-f]*-[arb]$/\1/p')
  owner=0
  [ -n "$owner36" ] && owner=$(node -e "console.log(parseInt(process.argv[1], 36))" "$owner36" 2>/dev/null || echo 0)
  if [ "$all" -eq 0 ] && alive "$owner"; then
    echo "keep   netns $ns (owner pid $owner is running)"
    continue
  fi
  for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
  ip netns del "$ns" && echo "remove netns $ns"
done

for dir in "${TMPDIR:-/tmp}"/rmt-*-??????-*; do
  [ -d "$dir" ] || continue
  owner36=$(basename "$dir" | sed -n 's/^rmt-\([0-9a-z]*\)-[0-9a-f]\{6\}-.*/\1/p')
  [ -n "$owner36" ] || continue
  owner=$(node -e "console.log(parseInt(process.argv[1], 36))" "$owner36" 2>/dev/null || echo 0)
  if [ "$all" -eq 0 ] && alive "$owner"; then continue; fi
  rm -rf "$dir" && echo "remove dir $dir"
done

ip route show type blackhole | sed -n 's/^blackhole 10\.200\.0\.0\/16.*metric \([0-9]*\).*/\1/p' | while read -r metric; do
  if [ "$all" -eq 0 ] && alive "$metric"; then
    echo "keep   route blackhole 10.200.0.0/16 metric $metric (owner running)"
    continue
  fi
  ip route del blackhole 10.200.0.0/16 metric "$metric" && echo "remove route blackhole 10.200.0.0/16 metric $metric"
done

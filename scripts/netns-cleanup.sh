#!/bin/sh
# Removes leftovers of crashed real-network test runs, for owner processes that are gone:
# - the one-router lab (tests/e2e/support/netns.ts): `rmt-<pid36>-<id>-{a,r,b}` namespaces,
#   `$TMPDIR/rmt-<pid36>-<id>-*` dirs, host `blackhole 10.200.0.0/16 metric <pid>` routes;
# - the NAT lab (tests/e2e/support/nat-lab.ts): `natlab-<pid36>-<id>-<role>` namespaces,
#   `$TMPDIR/natlab-<pid36>-<id>-*` dirs, host `blackhole 10.201.0.0/16 metric <pid>` routes;
# - throwaway coturns (tests/support/coturn.ts): `$TMPDIR/coturn-<pid36>-*` dirs, and the
#   turnserver named by their pidfile if it still runs (a loopback coturn has no namespace).
# Processes inside a removed namespace are killed first. NetnsLab.create() and NatLab.create()
# do the same for their own kind at every start; this is for a box after a crash.
#   --all   also remove labs whose owner is still running (stops their tests).
# Needs root.
set -eu
all=0
[ "${1:-}" = "--all" ] && all=1

alive() {
  [ "$1" -gt 0 ] 2>/dev/null && kill -0 "$1" 2>/dev/null || return 1
  case "$(ps -o stat= -p "$1" 2>/dev/null)" in Z*) return 1 ;; esac
}

from36() {
  node -e "console.log(parseInt(process.argv[1], 36))" "$1" 2>/dev/null || echo 0
}

# cleanup PREFIX RANGE
cleanup() {
  prefix=$1
  range=$2
  for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix" || true); do
    owner36=$(echo "$ns" | sed -n "s/^$prefix\([0-9a-z]*\)-[0-9a-f]*-[0-9a-z]*\$/\1/p")
    owner=0
    [ -n "$owner36" ] && owner=$(from36 "$owner36")
    if [ "$all" -eq 0 ] && alive "$owner"; then
      echo "keep   netns $ns (owner pid $owner is running)"
      continue
    fi
    for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" && echo "remove netns $ns"
  done

  for dir in "${TMPDIR:-/tmp}"/"$prefix"*-??????-*; do
    [ -d "$dir" ] || continue
    owner36=$(basename "$dir" | sed -n "s/^$prefix\([0-9a-z]*\)-[0-9a-f]\{6\}-.*/\1/p")
    [ -n "$owner36" ] || continue
    owner=$(from36 "$owner36")
    if [ "$all" -eq 0 ] && alive "$owner"; then continue; fi
    rm -rf "$dir" && echo "remove dir $dir"
  done

  escaped=$(echo "$range" | sed 's/[./]/\\&/g')
  ip route show type blackhole | sed -n "s/^blackhole $escaped.*metric \([0-9]*\).*/\1/p" | while read -r metric; do
    if [ "$all" -eq 0 ] && alive "$metric"; then
      echo "keep   route blackhole $range metric $metric (owner running)"
      continue
    fi
    ip route del blackhole "$range" metric "$metric" && echo "remove route blackhole $range metric $metric"
  done
}

cleanup rmt- 10.200.0.0/16
cleanup natlab- 10.201.0.0/16

for dir in "${TMPDIR:-/tmp}"/coturn-*-*; do
  [ -d "$dir" ] || continue
  owner36=$(basename "$dir" | sed -n 's/^coturn-\([0-9a-z]*\)-.*/\1/p')
  [ -n "$owner36" ] || continue
  owner=$(from36 "$owner36")
  if [ "$all" -eq 0 ] && alive "$owner"; then continue; fi
  pid=$(cat "$dir/turnserver.pid" 2>/dev/null || echo 0)
  # Only a turnserver started with this dir's config: a recycled pid is left alone.
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$dir/turnserver.conf"; then
    kill -9 "$pid" && echo "kill   turnserver $pid ($dir)"
  fi
  rm -rf "$dir" && echo "remove dir $dir"
done

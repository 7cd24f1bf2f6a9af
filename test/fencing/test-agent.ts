/** Shared by the fencing tests. */
/** A small fence agent obeying the protocol: power state per plug in files under state_dir. */
export const TEST_AGENT = `#!/bin/sh
action=reboot; port=; state_dir=; hang=
while IFS='=' read -r k v; do
  case "$k" in
    action) action=$v ;;
    port|plug) port=$v ;;
    state_dir) state_dir=$v ;;
    hang) hang=$v ;;
  esac
done
echo "$action $port" >> "$state_dir/calls"
if [ -n "$hang" ]; then
  sh -c 'trap "" TERM; exec sleep 60' &
  echo $! > "$state_dir/child.pid"
  sleep 60
fi
case "$action" in
  off) echo off > "$state_dir/$port" ;;
  on|reboot) echo on > "$state_dir/$port" ;;
  status)
    [ -f "$state_dir/$port" ] || { echo "no such plug $port" >&2; exit 1; }
    [ "$(cat "$state_dir/$port")" = off ] && exit 2
    exit 0 ;;
  list) for f in "$state_dir"/node*; do n=$(basename "$f"); echo "$n,alias-$n"; done ;;
  monitor) exit 0 ;;
  *) echo "unknown action $action" >&2; exit 1 ;;
esac
`;


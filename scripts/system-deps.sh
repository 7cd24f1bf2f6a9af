#!/usr/bin/env bash
# Debian packages that Vigil's tests and demo use: the real things, not stand-ins.
#   iproute2 (ip, netns), nftables (fault injection), iputils-arping (gratuitous ARP),
#   resource-agents (real OCF agents), pacemaker-cli-utils (crm_simulate as the scheduler oracle),
#   procps, util-linux (nsenter), fence-agents (fence_dummy: the real fence-agent protocol).
# Installs only what is missing, and only when running as root on a Debian-like system.
set -euo pipefail
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v arping >/dev/null 2>&1 || need+=(iputils-arping)
[ -d /usr/lib/ocf/resource.d/heartbeat ] || need+=(resource-agents)
command -v crm_simulate >/dev/null 2>&1 || need+=(pacemaker-cli-utils)
command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
command -v pkill >/dev/null 2>&1 || need+=(procps)
[ -x /usr/sbin/fence_dummy ] || need+=(fence-agents)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]} (install them as root; tests that need them will be skipped)" >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

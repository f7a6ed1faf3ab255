#!/bin/sh
# Installs the Debian packages the project needs (firmware toolchains, the lab's tools), only
# those missing. As root it runs apt-get; otherwise it prints the exact command and fails.
# Some lab packages ship a system service (openssh-server, nginx-light, mosquitto): the lab runs
# its own instances inside its namespaces, so the system ones must never start. apt is kept
# from starting them (a policy-rc.d that refuses, only while we install, only if none exists)
# and, under systemd, the services of the packages installed here are left disabled.
missing=""
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages:$missing" >&2
  echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
echo "installing Debian packages:$missing"
policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# packetclip: no service starts while its packages install\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  ours=1
fi
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
rc=$?
[ -n "$ours" ] && rm -f "$policy"
if [ $rc = 0 ] && [ -d /run/systemd/system ]; then
  for p in $missing; do
    for unit in $(dpkg -L "$p" 2>/dev/null | grep -E '/lib/systemd/system/[^/]+\.(service|socket)$' | xargs -r -n1 basename); do
      systemctl disable --now "$unit" >/dev/null 2>&1 || true
    done
  done
fi
exit $rc

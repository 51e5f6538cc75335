# Scenario 4: the User=healthd variant: sysusers creates the user, the service runs as it; purge
# removes its state directory and keeps the user and group (Debian policy: uids get reused).
# Input: healthd-user.deb
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
for f in passwd group shadow gshadow; do cp "/etc/$f" "/tmp/$f.before"; done
step "dpkg -i healthd-user.deb" dpkg_install /e2e/input/healthd-user.deb
check "systemd-sysusers created the healthd user" getent passwd healthd
check "healthd.service is active" active healthd.service
body=$(http_get http://127.0.0.1:8080/health) || fail "GET /health does not answer"
check "GET /health answers ok" [ "$body" = ok ]
user=$(ps -o user= -p "$(main_pid)" | tr -d ' ')
check "the service runs as healthd (got '$user')" [ "$user" = healthd ]
check "/var/lib/healthd belongs to healthd" [ "$(stat -c %U /var/lib/healthd)" = healthd ]
step "dpkg -P healthd" dpkg -P healthd
check "the service is stopped" sh -c '! systemctl is-active --quiet healthd.service'
check "the state is gone" [ ! -e /var/lib/healthd ]
check "the healthd user is kept" getent passwd healthd
check "the healthd group is kept" getent group healthd
check "/var/lib is still there" [ -d /var/lib/dpkg ]
echo "scenario passed"

# Scenario 3: remove keeps the edited conffile; purge leaves nothing behind.
# Input: healthd.deb
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
cp /etc/passwd /tmp/passwd.before
cp /etc/group /tmp/group.before
step "dpkg -i healthd.deb" dpkg_install /e2e/input/healthd.deb
check "healthd.service is active" active healthd.service
http_get http://127.0.0.1:8080/health >/dev/null || fail "GET /health does not answer"
echo 'listen = "127.0.0.1:8082"' >/etc/healthd/healthd.toml
step "dpkg -r healthd" dpkg -r healthd
check "the service is stopped" sh -c '! systemctl is-active --quiet healthd.service'
check "the unit file is gone" [ ! -e /usr/lib/systemd/system/healthd.service ]
check "systemd no longer knows the unit" sh -c '! systemctl cat healthd.service >/dev/null 2>&1'
check "the binary is gone" [ ! -e /usr/bin/healthd ]
check "the edited conffile is kept" grep -q 8082 /etc/healthd/healthd.toml
step "dpkg -P healthd" dpkg -P healthd
check "the conffile is gone" [ ! -e /etc/healthd/healthd.toml ]
check "/etc/healthd is gone" [ ! -e /etc/healthd ]
check "the state is gone" sh -c '[ ! -e /var/lib/private/healthd ] && [ ! -e /var/lib/healthd ]'
check "no enablement symlink is left" sh -c '! ls /etc/systemd/system/*/healthd.service 2>/dev/null'
check "/etc/passwd is as before" cmp -s /etc/passwd /tmp/passwd.before
check "/etc/group is as before" cmp -s /etc/group /tmp/group.before
echo "scenario passed"

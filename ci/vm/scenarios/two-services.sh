# A package with several units (tests/fixtures/services/two-services): an unprivileged daemon
# (DynamicUser=yes) that requires a root helper, a template job run by a timer, and a slice for
# all of them. The package enables and starts the daemon and the timer only; the helper runs
# because the daemon requires it, the job only when the timer fires; an upgrade restarts the
# daemon and the helper once, together; removal stops everything and purge leaves no unit enabled.
# Input: fx-two.deb (1.0.0), fx-two-v2.deb (2.0.0)
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
UNIT=fx-daemon.service

uid_of() {
	pid=$(systemctl show -p MainPID --value "$1")
	[ "$pid" -gt 0 ] || return 1
	awk '/^Uid:/ { print $2 }' "/proc/$pid/status"
}

in_slice() {
	[ "$(systemctl show -p Slice --value "$1")" = fx.slice ]
}

# systemd allocates dynamic users from 61184-65519.
dynamic_uid() {
	[ "$1" -ge 61184 ] && [ "$1" -le 65519 ]
}

# How many times systemd started a unit since boot.
starts() {
	journalctl --no-pager -o cat -u "$1" | grep -c "^Started $1"
}

enabled_state() {
	[ "$(systemctl is-enabled "$1" 2>/dev/null)" = "$2" ]
}

step "dpkg -i fx-two.deb" dpkg_install /e2e/input/fx-two.deb
check "fx-daemon.service is active" active fx-daemon.service
check "fx-helper.service is active (the daemon requires it)" active fx-helper.service
check "fx-cleanup.timer is active" active fx-cleanup.timer
check "fx-daemon.service is enabled" enabled_state fx-daemon.service enabled
check "fx-cleanup.timer is enabled" enabled_state fx-cleanup.timer enabled
check "fx-helper.service is static (not enabled)" enabled_state fx-helper.service static
check "fx-cleanup@.service is static (not enabled)" enabled_state fx-cleanup@.service static
check "fx.slice is static (not enabled)" enabled_state fx.slice static
check "the timer's job did not run at install" \
	[ "$(systemctl show -p InactiveExitTimestampMonotonic --value fx-cleanup@cache.service)" = 0 ]
check "the daemon runs in fx.slice" in_slice fx-daemon.service
check "the helper runs in fx.slice" in_slice fx-helper.service
check "fx.slice is active" active fx.slice
daemon_uid=$(uid_of fx-daemon.service) || fail "fx-daemon.service has no main process"
helper_uid=$(uid_of fx-helper.service) || fail "fx-helper.service has no main process"
check "the daemon runs as a dynamic user (uid $daemon_uid)" dynamic_uid "$daemon_uid"
check "the dynamic user is not in /etc/passwd" sh -c '! grep -q "^fx-daemon:" /etc/passwd'
check "the helper runs as root (uid $helper_uid)" [ "$helper_uid" = 0 ]
step "run one instance of the template" systemctl start fx-cleanup@cache.service
check "the instance ran" sh -c 'journalctl -u fx-cleanup@cache.service --no-pager | grep -q "fx-cleanup: cache"'

daemon_pid=$(systemctl show -p MainPID --value fx-daemon.service)
helper_pid=$(systemctl show -p MainPID --value fx-helper.service)
step "dpkg -i fx-two-v2.deb" dpkg_install /e2e/input/fx-two-v2.deb
check "fx-daemon.service is active after the upgrade" active fx-daemon.service
check "fx-helper.service is active after the upgrade" active fx-helper.service
check "the daemon was restarted" [ "$(systemctl show -p MainPID --value fx-daemon.service)" != "$daemon_pid" ]
check "the helper was restarted" [ "$(systemctl show -p MainPID --value fx-helper.service)" != "$helper_pid" ]
check "the daemon started twice in all: install and one restart (got $(starts fx-daemon.service))" \
	[ "$(starts fx-daemon.service)" = 2 ]
check "the helper started twice in all (got $(starts fx-helper.service))" [ "$(starts fx-helper.service)" = 2 ]
check "the daemon runs v2" grep -q 2.0.0 /usr/bin/fx-daemon

step "dpkg -r fx-two" dpkg -r fx-two
for unit in fx-daemon.service fx-helper.service fx-cleanup.timer; do
	check "$unit is stopped" sh -c "! systemctl is-active --quiet $unit"
done
check "the unit files are gone" sh -c '! ls /usr/lib/systemd/system/fx* 2>/dev/null'
step "dpkg -P fx-two" dpkg -P fx-two
check "no unit of the package is enabled" sh -c '! ls /etc/systemd/system/*/fx* 2>/dev/null'
check "systemd knows no unit file of the package" sh -c '! systemctl list-unit-files "fx*" --no-legend | grep -q .'
check "the daemon's state is gone" sh -c '[ ! -e /var/lib/private/fx-daemon ] && [ ! -e /var/lib/fx-daemon ]'
echo "scenario passed"

# pacman on a systemd system: install (not enabled, not started, per Arch policy), enable and run,
# remove with an edited config, which pacman keeps as .pacsave.
# Input: healthd.pkg.tar.zst
# shellcheck source=ci/vm/scenarios/lib.sh
. /e2e/lib.sh
step "pacman -U healthd.pkg.tar.zst" pacman -U --noconfirm -dd /e2e/input/healthd.pkg.tar.zst
check "the unit is installed" [ -f /usr/lib/systemd/system/healthd.service ]
check "systemd knows the unit" systemctl cat healthd.service >/dev/null
check "the package did not enable it" sh -c '! systemctl is-enabled --quiet healthd.service'
check "the package did not start it" sh -c '! systemctl is-active --quiet healthd.service'
step "systemctl enable --now healthd" systemctl enable --now healthd.service
check "healthd.service is active" active healthd.service
body=$(http_get http://127.0.0.1:8080/health) || fail "GET /health does not answer"
check "GET /health answers ok" [ "$body" = ok ]
echo 'listen = "127.0.0.1:8083"' >/etc/healthd/healthd.toml
step "systemctl disable --now healthd" systemctl disable --now healthd.service
step "pacman -R healthd" pacman -R --noconfirm healthd
check "the unit file is gone" [ ! -e /usr/lib/systemd/system/healthd.service ]
check "the binary is gone" [ ! -e /usr/bin/healthd ]
check "the edited config is kept as .pacsave" grep -q 8083 /etc/healthd/healthd.toml.pacsave
echo "scenario passed"

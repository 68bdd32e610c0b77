#!/bin/sh
# Run udev's own rule engine (`udevadm test`) on 60-kiosk.rules against simulated USB
# devices carrying the file's EXAMPLE ids, and check the outcome: which /dev/kiosk-*
# link each device gets, GROUP, MODE, ID_MM_DEVICE_IGNORE, LIBINPUT_IGNORE_DEVICE, and
# that a second FTDI adapter with another serial number gets no link.
#
# Everything happens in a private mount namespace (unshare -m): a fake sysfs on a
# tmpfs over /sys, the rules on a tmpfs over /run, a group "kiosk" in a private copy
# of /etc/group. The real system is not touched and no device is needed.
#
# Needs root, unshare (util-linux) and udevadm >= 251 (SYSTEMD_DEVICE_VERIFY_SYSFS=0
# lets it read a sysfs that is not sysfs). Environment:
#   UDEVADM=/path/to/udevadm        default: udevadm from PATH
#   STOCK_RULES=/path/to/rules.d    the distribution's rules (60-input-id.rules etc.)
#                                   to run alongside ours; default: the system's own
#
# This tests the shipped example ids. After replacing them with a terminal's real ids,
# check on the terminal itself: udevadm test $(udevadm info -q path -n /dev/ttyUSB0)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
udevadm=${UDEVADM:-$(command -v udevadm || true)}
[ -x "$udevadm" ] || { echo "no udevadm (set UDEVADM=...)" >&2; exit 2; }
if [ "${KIOSK_SIMULATE_INSIDE:-}" != 1 ]; then
  exec env KIOSK_SIMULATE_INSIDE=1 UDEVADM="$udevadm" unshare -m --propagation private \
    sh "$here/simulate.sh"
fi

work=$(mktemp -d)
cp /etc/group "$work/group"
grep -q '^kiosk:' "$work/group" || echo 'kiosk:x:64999:' >> "$work/group"
mount --bind "$work/group" /etc/group
if [ -n "${STOCK_RULES:-}" ]; then
  mount -t tmpfs none /lib/udev/rules.d
  cp "$STOCK_RULES"/*.rules /lib/udev/rules.d/
fi
mount -t tmpfs none /run
mkdir -p /run/udev/rules.d
cp "$here/60-kiosk.rules" /run/udev/rules.d/
mount -t tmpfs none /sys
mkdir -p /sys/bus/usb /sys/bus/hid /sys/class/tty /sys/class/usbmisc /sys/class/input

hc=/sys/devices/pci0000:00/0000:00:14.0
mkdir -p "$hc/usb1"
: > /sys/devices/pci0000:00/uevent
: > "$hc/uevent"
printf 'DEVTYPE=usb_device\n' > "$hc/usb1/uevent"
ln -s /sys/bus/usb "$hc/usb1/subsystem"

# usb_device PORT VENDOR PRODUCT SERIAL DEVNUM: a USB device with one interface
usb_device() {
  d="$hc/usb1/$1"
  mkdir -p "$d/$1:1.0"
  echo "$2" > "$d/idVendor"; echo "$3" > "$d/idProduct"; echo "$4" > "$d/serial"
  printf 'MAJOR=189\nMINOR=%s\nDEVNAME=bus/usb/001/%03d\nDEVTYPE=usb_device\n' "$5" "$5" \
    > "$d/uevent"
  ln -s /sys/bus/usb "$d/subsystem"
  printf 'DEVTYPE=usb_interface\n' > "$d/$1:1.0/uevent"
  ln -s /sys/bus/usb "$d/$1:1.0/subsystem"
}
# node PATH CLASS MAJOR MINOR DEVNAME: a device node below an interface
node() {
  mkdir -p "$1"
  printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\n' "$3" "$4" "$5" > "$1/uevent"
  ln -s "/sys/class/$2" "$1/subsystem"
}

usb_device 1-1 04b8 0202 EXAMPLE-PRN 2          # Epson TM-T88, usblp
node "$hc/usb1/1-1/1-1:1.0/usbmisc/lp0" usbmisc 180 0 usb/lp0
usb_device 1-2 0403 6001 EXAMPLE-FTDI-A1B2C3D4 3 # the display's adapter
mkdir -p "$hc/usb1/1-2/1-2:1.0/ttyUSB0"; : > "$hc/usb1/1-2/1-2:1.0/ttyUSB0/uevent"
node "$hc/usb1/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0" tty 188 0 ttyUSB0
usb_device 1-4 0403 6001 SOMEOTHERADAPTER 5      # another FTDI adapter: no link
mkdir -p "$hc/usb1/1-4/1-4:1.0/ttyUSB1"; : > "$hc/usb1/1-4/1-4:1.0/ttyUSB1/uevent"
node "$hc/usb1/1-4/1-4:1.0/ttyUSB1/tty/ttyUSB1" tty 188 1 ttyUSB1
usb_device 1-3 0c2e 0b01 EXAMPLE-SCN 4           # scanner, CDC-ACM mode
node "$hc/usb1/1-3/1-3:1.0/tty/ttyACM0" tty 166 0 ttyACM0
usb_device 1-5 0c2e 0b61 EXAMPLE-SCN 6           # scanner, keyboard mode
hid="$hc/usb1/1-5/1-5:1.0/0003:0C2E:0B61.0001"
mkdir -p "$hid/input/input7/capabilities"
printf 'HID_ID=0003:00000C2E:00000B61\n' > "$hid/uevent"
ln -s /sys/bus/hid "$hid/subsystem"
in="$hid/input/input7"
printf 'PRODUCT=3/c2e/b61/110\nNAME="Example scanner"\n' > "$in/uevent"
ln -s /sys/class/input "$in/subsystem"
# a full keyboard's capabilities, so udev's input_id marks it ID_INPUT_KEYBOARD=1
echo 120013 > "$in/capabilities/ev"
echo '1000000000007 ff9f207ac14057ff febeffdfffefffff fffffffffffffffe' > "$in/capabilities/key"
for c in rel abs sw ff snd; do echo 0 > "$in/capabilities/$c"; done
echo 10 > "$in/capabilities/msc"; echo 1f > "$in/capabilities/led"; echo 0 > "$in/properties"
node "$in/event7" input 13 71 input/event7

failures=0
# expect DEVICE PATTERN...: every pattern must appear in `udevadm test` output
expect() {
  dev=$1; shift
  out=$(SYSTEMD_DEVICE_VERIFY_SYSFS=0 "$UDEVADM" test --action=add "$dev" 2>&1 || true)
  for pattern in "$@"; do
    if printf '%s\n' "$out" | grep -qE -- "$pattern"; then
      echo "ok   ${dev##*/}: $pattern"
    else
      echo "FAIL ${dev##*/}: $pattern"; failures=$((failures + 1))
    fi
  done
  if printf '%s\n' "$out" | grep -q "60-kiosk.rules.*\(Invalid\|nknown\|ignoring\)"; then
    echo "FAIL ${dev##*/}: udev complains about 60-kiosk.rules:"
    printf '%s\n' "$out" | grep "60-kiosk.rules.*\(Invalid\|nknown\|ignoring\)"
    failures=$((failures + 1))
  fi
}
gid=$(grep '^kiosk:' /etc/group | cut -d: -f3)
expect "$hc/usb1/1-1/1-1:1.0/usbmisc/lp0" "^DEVLINKS=/dev/kiosk-printer$" "GROUP $gid" "MODE 0660"
expect "$hc/usb1/1-1" "60-kiosk.rules.*GROUP $gid" "60-kiosk.rules.*MODE 0660"
expect "$hc/usb1/1-2/1-2:1.0/ttyUSB0/tty/ttyUSB0" "^DEVLINKS=/dev/kiosk-display$" \
  "GROUP $gid" "MODE 0660" "^ID_MM_DEVICE_IGNORE=1$"
expect "$hc/usb1/1-4/1-4:1.0/ttyUSB1/tty/ttyUSB1" "^DEVNAME=/dev/ttyUSB1$"
if SYSTEMD_DEVICE_VERIFY_SYSFS=0 "$UDEVADM" test --action=add \
    "$hc/usb1/1-4/1-4:1.0/ttyUSB1/tty/ttyUSB1" 2>&1 | grep -q "kiosk-"; then
  echo "FAIL ttyUSB1: another FTDI adapter got a kiosk name"; failures=$((failures + 1))
else
  echo "ok   ttyUSB1: another FTDI adapter gets no kiosk name"
fi
expect "$hc/usb1/1-3/1-3:1.0/tty/ttyACM0" "^DEVLINKS=/dev/kiosk-scanner$" "GROUP $gid" \
  "MODE 0660" "^ID_MM_DEVICE_IGNORE=1$"
expect "$in/event7" "^DEVLINKS=/dev/kiosk-scanner-hid$" "^ID_INPUT_KEYBOARD=1$" \
  "^LIBINPUT_IGNORE_DEVICE=1$" "GROUP $gid" "MODE 0660"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]

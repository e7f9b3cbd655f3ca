#!/bin/sh
# Runs in the guest (busybox sh): wires fixtures/fake_gpiochip's EN and IO0
# lines to an espsim board. Every change the chip records is sent, as it
# happens, as a control command ("pins B en=0", "pins B io0=1") down TTY,
# a guest serial port that QEMU connects to espsim's control socket. So a
# program that drives the GPIO lines resets the simulated board as the
# wires of a real jig would, only later by the serial hop (well under the
# loader's 50 ms strap hold) and in the same order.
#
# usage: gpio_to_espsim.sh BOARD TTY   (runs until killed)
board=${1:?usage: gpio_to_espsim.sh BOARD TTY} tty=${2:?usage: gpio_to_espsim.sh BOARD TTY}
stty -F "$tty" raw -echo
# espsim answers every command with a line; nobody needs them, but unread
# they would fill the port's buffer.
cat "$tty" > /dev/null &
# `cat` between: the events file hands out a whole line per read, and the
# shell's `read` asks for one byte at a time.
cat /sys/kernel/debug/fake_gpiochip/events | while read -r t_ns line value; do
    case $line in
        0) echo "pins $board en=$value" ;;
        1) echo "pins $board io0=$value" ;;
    esac
done > "$tty"

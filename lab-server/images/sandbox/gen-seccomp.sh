#!/usr/bin/env bash
# Writes seccomp.json, the sandbox's seccomp profile (checked in; rerun this
# only to change it). Needs jq and linux-libc-dev's syscall tables.
#
# Shape: default-deny (EPERM); every syscall the kernel headers name is allowed
# except the DENY list below; the keyring calls return ENOSYS.
# Why not Docker's default profile: the sandbox needs CAP_SYS_ADMIN, and the
# default profile already opens mount/unshare/setns/clone namespaces/bpf etc.
# to SYS_ADMIN holders, so it would not be narrower. What it blocks besides
# that are calls the nested engine needs. The keyring calls are the exception:
# nested runc creates a session keyring per container, but treats ENOSYS as
# "no keyrings here" and goes on, so they stay blocked (keys are not namespaced).
set -euo pipefail
cd "$(dirname "$0")"

# Blocked outright (EPERM): kernel-global or exploit-prone, and not needed by
# the nested engine or by anything in the lessons.
DENY=(
  kexec_load kexec_file_load reboot
  init_module finit_module delete_module create_module query_module get_kernel_syms
  acct swapon swapoff syslog
  settimeofday stime clock_settime clock_settime64 clock_adjtime clock_adjtime64
  iopl ioperm vm86 vm86old modify_ldt
  lookup_dcookie perf_event_open quotactl quotactl_fd nfsservctl uselib _sysctl
  open_by_handle_at name_to_handle_at
  userfaultfd
  io_uring_setup io_uring_enter io_uring_register
  pciconfig_read pciconfig_write pciconfig_iobase
)
# ENOSYS: nested runc skips the session keyring when keyctl is "not implemented".
NOSYS=(keyctl add_key request_key)

names() {
  cat /usr/include/x86_64-linux-gnu/asm/unistd_64.h \
      /usr/include/x86_64-linux-gnu/asm/unistd_32.h \
      /usr/include/x86_64-linux-gnu/asm/unistd_x32.h \
      /usr/include/asm-generic/unistd.h 2>/dev/null \
    | sed -nE 's/^#define __NR(3264)?_([a-z0-9_]+)[[:space:]]+.*/\2/p' \
    | grep -vE '^(syscalls|arch_specific_syscall|syscall_max)$' \
    | LC_ALL=C sort -u
}

skip=$(printf '%s\n' "${DENY[@]}" "${NOSYS[@]}" | LC_ALL=C sort -u)
allow=$(LC_ALL=C comm -23 <(names) <(echo "$skip"))

jq -n \
  --argjson allow "$(printf '%s\n' "$allow" | jq -R . | jq -s .)" \
  --argjson deny "$(printf '%s\n' "${DENY[@]}" | LC_ALL=C sort -u | jq -R . | jq -s .)" \
  --argjson nosys "$(printf '%s\n' "${NOSYS[@]}" | jq -R . | jq -s .)" '{
  defaultAction: "SCMP_ACT_ERRNO",
  archMap: [
    { architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
    { architecture: "SCMP_ARCH_AARCH64", subArchitectures: ["SCMP_ARCH_ARM"] }
  ],
  syscalls: [
    { names: $allow, action: "SCMP_ACT_ALLOW", comment: "everything the kernel headers name, minus the two lists below" },
    { names: $nosys, action: "SCMP_ACT_ERRNO", errnoRet: 38, comment: "keyrings are not namespaced; ENOSYS makes nested runc skip its session keyring" },
    { names: $deny, action: "SCMP_ACT_ERRNO", errnoRet: 1, comment: "kernel-global or exploit-prone, unused by the nested engine" }
  ]
}' > seccomp.json
echo "seccomp.json: $(jq '.syscalls[0].names | length' seccomp.json) allowed, ${#NOSYS[@]} ENOSYS, ${#DENY[@]} EPERM"

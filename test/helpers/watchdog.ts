/**
 * A detached watchdog for a server a test started: once the test process is gone it stops the
 * server (only if /proc/PID/cmdline still names the test's temp dir) and deletes that dir if it
 * holds a `.dks-remove` marker; it exits by itself once the server is gone.
 */
import { ChildProcess, spawn } from 'node:child_process';

export function startWatchdog(label: string, pid: number, dir: string): ChildProcess {
  const script = `
    owner=$1 pid=$2 dir=$3
    ours() { tr '\\0' ' ' </proc/$pid/cmdline 2>/dev/null | grep -qF -- "$dir"; }
    while kill -0 "$owner" 2>/dev/null; do
      ours || exit 0
      sleep 1
    done
    if ours; then
      kill -TERM "$pid" 2>/dev/null
      for i in $(seq 1 50); do ours || break; sleep 0.2; done
      ours && kill -KILL "$pid" 2>/dev/null
    fi
    [ -e "$dir/.dks-remove" ] && rm -rf "$dir"
    exit 0`;
  const watchdog = spawn('bash', ['-c', script, label, String(process.pid), String(pid), dir], { detached: true, stdio: 'ignore' });
  watchdog.unref();
  return watchdog;
}

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/** SIGKILL `child` if the test process exits while it still runs (the watchdog covers kill -9). */
export function killOnExit(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
  });
}

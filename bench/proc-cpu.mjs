// CPU time and memory of a process from /proc, shared by the benchmarks. CPU per request is steadier than the rate on
// a shared 2-core VM: it does not depend on who won the cores.
import { readFileSync } from 'node:fs';
import { clearInterval, setInterval } from 'node:timers';

/** CPU time (user + system, ms) process `pid` has used so far, from /proc (Linux); undefined elsewhere. */
export function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system, ms) of the main thread of process `pid` alone (Linux; undefined elsewhere): the
 * event loop's work, without the thread pool's (argon2, crypto) and the worker threads' (bcrypt).
 */
export function mainThreadCpuMs(pid) {
  return cpuMs(`${pid}/task/${pid}`);
}

/**
 * The machine's CPU time so far, from the first line of /proc/stat (USER_HZ ticks): `steal` is time the
 * hypervisor gave this VM's vCPUs to someone else, `total` everything. undefined off Linux.
 */
export function machineTicks() {
  try {
    const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already counted in user)
    return { steal: ticks[7] ?? 0, total: ticks.slice(0, 8).reduce((sum, n) => sum + n, 0) };
  } catch {
    return undefined;
  }
}

/** Resident set size of process `pid` in MiB, from /proc (Linux); undefined elsewhere or once it exited. */
export function rssMb(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Samples the RSS of `pid` every `everyMs` until stop(), which answers the highest seen (MiB). */
export function sampleRss(pid, everyMs = 100) {
  let peak = rssMb(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMb(pid) ?? 0);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMb(pid) ?? 0);
    },
  };
}

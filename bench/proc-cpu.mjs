// CPU time of a process from /proc, shared by the benchmarks. CPU per request is steadier than the rate on
// a shared 2-core VM: it does not depend on who won the cores.
import { readFileSync } from 'node:fs';

/** CPU time (user + system, ms) process `pid` has used so far, from /proc (Linux); undefined elsewhere. */
export function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}
